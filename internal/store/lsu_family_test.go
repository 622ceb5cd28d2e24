package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestLSUFamilyBlocks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		uai, b := a.uai, sillage.UAI("0010856A")
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: b, Name: "Collège B", Kind: sillage.KindCollege}); err != nil {
				return err
			}
			lv := tx.Livret()
			// Class comment: replaced, listed per period, removed when emptied.
			if err := lv.SetClassSchoolLife(ctx, uai, sillage.ClassSchoolLife{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "Classe agréable", UpdatedBy: a.teacher.ID}); err != nil {
				return err
			}
			got, err := lv.ListClassSchoolLife(ctx, uai, []int64{a.period.ID})
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].Comment != "Classe agréable" || got[0].DivisionID != a.division.ID || got[0].UpdatedBy != a.teacher.ID {
				t.Fatalf("class comments: %+v", got)
			}
			// Through another establishment, A's period and division are not found.
			if err := lv.SetClassSchoolLife(ctx, b, sillage.ClassSchoolLife{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "x"}); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("class comment on another establishment's period: %v", err)
			}
			if err := lv.SetClassSchoolLife(ctx, uai, sillage.ClassSchoolLife{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "  "}); err != nil {
				return err
			}
			if got, err := lv.ListClassSchoolLife(ctx, uai, nil); err != nil || len(got) != 0 {
				t.Fatalf("after removal: %+v, %v", got, err)
			}

			// Extras of a report: read back set-based; cleared ones are left out.
			e := sillage.PeriodicExtras{ReportID: a.lsuReport.ID, HomeworkDone: "Vient deux fois par semaine",
				Socle: map[string]int{"CPD_FRA": 0, "SYS_NAT": 4, "XXX": 2}}
			if err := lv.SetPeriodicExtras(ctx, uai, e, a.teacher.ID); err != nil {
				return err
			}
			extras, err := lv.ListPeriodicExtras(ctx, uai, []int64{a.lsuReport.ID, a.lsuReport.ID + 1000})
			if err != nil {
				return err
			}
			x := extras[a.lsuReport.ID]
			if len(extras) != 1 || x.HomeworkDone != e.HomeworkDone || len(x.Socle) != 2 || x.Socle["CPD_FRA"] != 0 || x.Socle["SYS_NAT"] != 4 {
				t.Fatalf("extras: %+v", extras)
			}
			if other, err := lv.ListPeriodicExtras(ctx, b, nil); err != nil || len(other) != 0 {
				t.Errorf("A's extras through B: %+v, %v", other, err)
			}
			if err := lv.SetPeriodicExtras(ctx, b, sillage.PeriodicExtras{ReportID: a.lsuReport.ID, HomeworkDone: "x"}, 0); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("extras of another establishment's report: %v", err)
			}
			if err := lv.SetPeriodicExtras(ctx, uai, sillage.PeriodicExtras{ReportID: a.lsuReport.ID}, 0); err != nil {
				return err
			}
			if extras, err := lv.ListPeriodicExtras(ctx, uai, nil); err != nil || len(extras) != 0 {
				t.Fatalf("after clearing: %+v, %v", extras, err)
			}

			// Guardians with their address, for the students asked.
			addr := sillage.PostalAddress{Lines: []string{"12 rue des Lilas", "Bâtiment B"}, PostalCode: "86000", Town: "POITIERS"}
			if err := tx.People().SetPostalAddress(ctx, uai, a.parent.ID, addr); err != nil {
				return err
			}
			cs, err := tx.People().ListGuardianContacts(ctx, uai, []int64{a.student.ID})
			if err != nil {
				return err
			}
			if len(cs) != 1 || cs[0].ParentID != a.parent.ID || cs[0].StudentID != a.student.ID || cs[0].LastName != a.parent.LastName ||
				!slices.Equal(cs[0].Address.Lines, addr.Lines) || cs[0].Address.PostalCode != "86000" || cs[0].Address.Town != "POITIERS" {
				t.Fatalf("guardian contacts: %+v", cs)
			}
			if cs, err := tx.People().ListGuardianContacts(ctx, b, []int64{a.student.ID}); err != nil || len(cs) != 0 {
				t.Fatalf("another establishment's student: %+v, %v", cs, err)
			}

			// The rank of the link and a legal person's denomination; B
			// cannot write them on A's guardian.
			if err := tx.People().LinkGuardian(ctx, uai, sillage.Guardianship{ParentID: a.parent.ID, StudentID: a.student.ID, Legal: true, Relation: "51", Rank: 2}); err != nil {
				return err
			}
			if err := tx.People().SetGuardianDetails(ctx, uai, a.parent.ID, sillage.GuardianDetails{Address: addr, Denomination: "ASE DE LA VIENNE"}); err != nil {
				return err
			}
			if err := tx.People().SetGuardianDetails(ctx, b, a.parent.ID, sillage.GuardianDetails{Denomination: "AUTRE"}); err != nil {
				return err
			}
			cs, err = tx.People().ListGuardianContacts(ctx, uai, []int64{a.student.ID})
			if err != nil {
				return err
			}
			if len(cs) != 1 || cs[0].Rank != 2 || cs[0].Denomination != "ASE DE LA VIENNE" || cs[0].Relation != "51" || cs[0].Address.Town != "POITIERS" {
				t.Fatalf("guardian contacts after rank and denomination: %+v", cs)
			}
			gs, err := tx.People().ListGuardians(ctx, uai, a.student.ID)
			if err != nil || len(gs) != 1 || gs[0].Rank != 2 {
				t.Fatalf("guardianships: %+v, %v", gs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSocleEncoding(t *testing.T) {
	for _, tt := range []struct {
		in   map[string]int
		want string
	}{
		{nil, ""},
		{map[string]int{"REP_MND": 0, "CPD_FRA": 4}, "CPD_FRA:4,REP_MND:0"},
		{map[string]int{"CPD_FRA": 5, "ZZZ": 1, "MET_APP": -1}, ""},
	} {
		got := sillage.EncodeSocle(tt.in)
		if got != tt.want {
			t.Errorf("EncodeSocle(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back := sillage.DecodeSocle(got)
		if sillage.EncodeSocle(back) != got || (got == "" && back != nil) {
			t.Errorf("DecodeSocle(%q) = %v", got, back)
		}
	}
}
