package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestReportExtrasPage: the head teacher enters devoirs faits and the socle
// of the term, a teacher who is not the head teacher reads them, invalid
// values are refused, the legal guardians are shown with their address.
func TestReportExtrasPage(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
			french := f.sessionOf(uaiCollege, lf.Teachers[0]) // head teacher of 6E1
			maths := f.sessionOf(uaiCollege, lf.Teachers[1])  // teaches 6E1, head teacher of 5E1
			s, period := lf.Students[0], lf.Periods[0]
			ctx := context.Background()
			err := f.st.Write(ctx, func(tx *store.Tx) error {
				parent := sillage.Person{Role: sillage.RoleParent, Civility: "Mme", LastName: "MARTIN", FirstName: "Claire", Source: sillage.SourceSIECLE}
				if err := tx.People().CreatePerson(ctx, uaiCollege, &parent); err != nil {
					return err
				}
				if err := tx.People().LinkGuardian(ctx, uaiCollege, sillage.Guardianship{ParentID: parent.ID, StudentID: s.ID, Legal: true, Relation: "10", Rank: 1}); err != nil {
					return err
				}
				if err := tx.People().SetPostalAddress(ctx, uaiCollege, parent.ID, sillage.PostalAddress{Lines: []string{"4 rue du Port"}, PostalCode: "17000", Town: "LA ROCHELLE"}); err != nil {
					return err
				}
				// The second legal guardian is a legal person.
				ase := sillage.Person{Role: sillage.RoleParent, LastName: "ASE DE CHARENTE-MARITIME", Source: sillage.SourceSIECLE}
				if err := tx.People().CreatePerson(ctx, uaiCollege, &ase); err != nil {
					return err
				}
				if err := tx.People().LinkGuardian(ctx, uaiCollege, sillage.Guardianship{ParentID: ase.ID, StudentID: s.ID, Legal: true, Relation: "51", Rank: 2}); err != nil {
					return err
				}
				return tx.People().SetGuardianDetails(ctx, uaiCollege, ase.ID, sillage.GuardianDetails{Denomination: "ASE DE CHARENTE-MARITIME"})
			})
			if err != nil {
				t.Fatal(err)
			}
			report := fmt.Sprintf("/livret/eleve/%d/%d", s.ID, period.ID)
			_, page := f.do(french, "GET", report, nil)
			if parsePage(t, page).attr("#extras-link", "href") != report+"/complements" {
				t.Fatal("the report page does not lead to its complements")
			}
			st, page := f.do(french, "GET", report+"/complements", nil)
			pg := parsePage(t, page)
			if st != 200 || pg.count("#extras-form textarea#devoirs") != 1 || pg.count("#socle select") != 8 ||
				!pg.has("#guardians td", "MERE") || !pg.has("#guardians td", "17000 LA ROCHELLE") ||
				!pg.has("#guardians tbody tr:nth-child(1)", "Responsable légal 1") ||
				!pg.has("#guardians tbody tr:nth-child(2)", "ASE DE CHARENTE-MARITIME Responsable légal 2 (personne morale)") {
				t.Fatalf("complements page: %d %.500s", st, page)
			}
			// The student's page says the same.
			_, page = f.do(french, "GET", fmt.Sprintf("/eleves/%d", s.ID), nil)
			pg = parsePage(t, page)
			if !pg.has("#student-guardians tbody tr:nth-child(1) td:nth-child(1)", "MARTIN Claire") ||
				!pg.has("#student-guardians tbody tr:nth-child(1) td:nth-child(2)", "Responsable légal 1") ||
				!pg.has("#student-guardians tbody tr:nth-child(2)", "Responsable légal 2 (personne morale)") {
				t.Fatalf("student page guardians: %.1500s", page[max(strings.Index(page, "student-guardians"), 0):])
			}
			form := url.Values{"devoirs": {"Deux séances par semaine."}, "socle_CPD_FRA": {"3"}, "socle_REP_MND": {"0"}}
			if st, body := f.do(french, "POST", report+"/complements", form); st != http.StatusSeeOther {
				t.Fatalf("save: %d %.300s", st, body)
			}
			_, page = f.do(french, "GET", report+"/complements", nil)
			pg = parsePage(t, page)
			if !pg.has("#devoirs", "Deux séances par semaine.") || pg.attr("#socle_CPD_FRA option[selected]", "value") != "3" ||
				pg.attr("#socle_REP_MND option[selected]", "value") != "0" || pg.attr("#socle_MET_APP option[selected]", "value") != "" {
				t.Fatalf("saved values not shown: %.800s", page)
			}
			for _, bad := range []url.Values{{"socle_CPD_FRA": {"5"}}, {"devoirs": {string(make([]rune, 601))}}} {
				if st, _ := f.do(french, "POST", report+"/complements", bad); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
					t.Errorf("invalid %v: %d", bad, st)
				}
			}
			// A teacher of the class who is not its head teacher reads only.
			st, page = f.do(maths, "GET", report+"/complements", nil)
			pg = parsePage(t, page)
			if st != 200 || pg.count("#extras-form") != 0 || !pg.has("#extras", "Deux séances par semaine.") {
				t.Errorf("read-only complements: %d", st)
			}
			if st, _ := f.do(maths, "POST", report+"/complements", form); st != http.StatusForbidden {
				t.Errorf("a teacher who is not the head teacher saving: %d", st)
			}
			var extras map[int64]sillage.PeriodicExtras
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				extras, err = tx.Livret().ListPeriodicExtras(ctx, uaiCollege, nil)
				return err
			})
			if len(extras) != 1 {
				t.Fatalf("stored extras: %+v", extras)
			}
			for _, e := range extras {
				if e.HomeworkDone != "Deux séances par semaine." || len(e.Socle) != 2 {
					t.Errorf("stored extras: %+v", e)
				}
			}
		})
	}
}

// TestClassSchoolLifePage: the vie scolaire (staff) writes a division's
// comment for a period; teachers may not; an école is told the block does
// not exist in the 1st degree.
func TestClassSchoolLifePage(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixtureOn(t, kind)
			lf := f.lsuEstablishment(lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 2, Periods: 2, Subjects: 2})
			ctx := context.Background()
			cpe := sillage.Person{Role: sillage.RoleStaff, Civility: "M", LastName: "VIE", FirstName: "Scolaire", Source: sillage.SourceManual}
			if err := f.st.Write(ctx, func(tx *store.Tx) error {
				if err := tx.People().CreatePerson(ctx, uaiCollege, &cpe); err != nil {
					return err
				}
				return withAccount(ctx, tx, uaiCollege, &cpe, "vie.scolaire")
			}); err != nil {
				t.Fatal(err)
			}
			staff := f.sessionOf(uaiCollege, cpe)
			div, p2 := lf.Divisions[1], lf.Periods[1]
			st, page := f.do(staff, "GET", "/livret/vie-scolaire", nil)
			pg := parsePage(t, page)
			if st != 200 || pg.count(`nav.menu a[href="/livret/vie-scolaire"]`) != 1 || pg.count("form[id^=division-] textarea") != 2 ||
				pg.attr(`#periods a[aria-current="page"]`, "href") != fmt.Sprintf("/livret/vie-scolaire?periode=%d", lf.Periods[0].ID) {
				t.Fatalf("class school-life page: %d %.500s", st, page)
			}
			path := fmt.Sprintf("/livret/vie-scolaire/%d/%d", div.ID, p2.ID)
			if st, body := f.do(staff, "POST", path, url.Values{"commentaire": {"Classe attentive, peu de retards."}}); st != http.StatusSeeOther {
				t.Fatalf("save: %d %.300s", st, body)
			}
			_, page = f.do(staff, "GET", fmt.Sprintf("/livret/vie-scolaire?periode=%d", p2.ID), nil)
			if pg := parsePage(t, page); !pg.has(fmt.Sprintf("#commentaire-%d", div.ID), "Classe attentive, peu de retards.") || !pg.has(fmt.Sprintf("#division-%d .hint", div.ID), "Modifié le") {
				t.Fatalf("saved comment not shown: %.600s", page)
			}
			_, page = f.do(staff, "GET", "/livret/vie-scolaire", nil)
			if parsePage(t, page).has(fmt.Sprintf("#commentaire-%d", div.ID), "Classe attentive") {
				t.Error("the comment of the second period shows on the first")
			}
			if st, _ := f.do(staff, "POST", path, url.Values{"commentaire": {string(make([]rune, 601))}}); st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
				t.Errorf("a comment too long: %d", st)
			}
			if st, _ := f.do(f.sessionOf(uaiCollege, lf.Teachers[0]), "POST", path, url.Values{"commentaire": {"x"}}); st != http.StatusForbidden {
				t.Errorf("a teacher writing the class comment: %d", st)
			}
			if st, _ := f.do(staff, "POST", path, url.Values{"commentaire": {" "}}); st != http.StatusSeeOther {
				t.Fatal("clearing the comment")
			}
			var left []sillage.ClassSchoolLife
			f.st.Read(ctx, func(tx *store.Tx) (err error) {
				left, err = tx.Livret().ListClassSchoolLife(ctx, uaiCollege, nil)
				return err
			})
			if len(left) != 0 {
				t.Errorf("an emptied comment stays: %+v", left)
			}

			ecole := f.lsuEstablishment(lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 1, PerDivision: 2, Periods: 1, Subjects: 2})
			_, page = f.do(f.sessionOf(uaiEcole, ecole.Director), "GET", "/livret/vie-scolaire", nil)
			if !parsePage(t, page).has("#not-applicable", "1er degré") {
				t.Error("an école is not told the class comment does not exist in the 1st degree")
			}
		})
	}
}
