package directory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// Ways a generated STS-web record is made invalid.
const (
	stsBadSex      = iota // SEXE 9
	stsBadBirth           // DATE_NAISSANCE in the French form
	stsMisspelt           // <INDIVIDUE ID=…> or <DIVISIONX CODE=…>: an unknown element in the list
	stsNoName             // neither NOM_USAGE nor NOM_PATRONYMIQUE
	stsBadKinds           // for individuals; a division is only ever misspelt
	stsNoDivisions = 3
)

var stsDivisions = []string{"2A", "2B", "2C"}

// genSTS is a generated STS-web export: teachers, each teaching one
// division (and its head teacher), the divisions with their services.
type genSTS struct {
	uai         sillage.UAI
	year        int
	individuals int
	moved       bool // every teacher teaches the next division
	// bad: the records made invalid and how (index: individuals, then
	// divisions).
	bad map[int]int
	// extra is inserted inside every division's MEFS_APPARTENANCE and
	// SERVICES (rule 8).
	extra string
}

func (g genSTS) divisionOf(i int) string {
	k := i
	if g.moved {
		k++
	}
	return stsDivisions[k%len(stsDivisions)]
}

func (g genSTS) id(i int) string { return fmt.Sprintf("%d", 4100+i) }

func (g genSTS) xml() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<STS_EDT>
<PARAMETRES><UAJ CODE="%s"/><ANNEE_SCOLAIRE ANNEE="%d"/></PARAMETRES>
<NOMENCLATURES><MATIERES><MATIERE CODE="020700"><LIBELLE_COURT>FRANC</LIBELLE_COURT><LIBELLE_LONG>FRANCAIS</LIBELLE_LONG></MATIERE></MATIERES></NOMENCLATURES>
<DONNEES>
<INDIVIDUS>
`, g.uai, g.year)
	for i := 0; i < g.individuals; i++ {
		elem, sex, birth, name := "INDIVIDU", "2", "1980-04-12", fmt.Sprintf("<NOM_USAGE>PROF%d</NOM_USAGE>", i)
		if how, ok := g.bad[i]; ok {
			switch how {
			case stsBadSex:
				sex = "9"
			case stsBadBirth:
				birth = "12/04/1980"
			case stsMisspelt:
				elem = "INDIVIDUE"
			case stsNoName:
				name = ""
			}
		}
		fmt.Fprintf(&b, `<%s ID="%s" TYPE="epp">
<SEXE>%s</SEXE><CIVILITE>2</CIVILITE>%s<PRENOM>Inès</PRENOM><DATE_NAISSANCE>%s</DATE_NAISSANCE><FONCTION>ENS</FONCTION>
<PROFS_PRINC><PROF_PRINC><CODE_STRUCTURE>%s</CODE_STRUCTURE></PROF_PRINC></PROFS_PRINC>
</%s>
`, elem, g.id(i), sex, name, birth, g.divisionOf(i), elem)
	}
	b.WriteString("</INDIVIDUS>\n<STRUCTURE><DIVISIONS>\n")
	for k, code := range stsDivisions {
		elem := "DIVISION"
		if _, ok := g.bad[g.individuals+k]; ok {
			elem = "DIVISIONX"
		}
		fmt.Fprintf(&b, `<%s CODE="%s"><LIBELLE_LONG>SECONDE %s</LIBELLE_LONG>
<MEFS_APPARTENANCE>%s<MEF_APPARTENANCE CODE="24025510110"/></MEFS_APPARTENANCE>
<SERVICES>%s
`, elem, code, code, g.extra, g.extra)
		for i := 0; i < g.individuals; i++ {
			if g.divisionOf(i) == code {
				fmt.Fprintf(&b, `<SERVICE CODE_MATIERE="020700" CODE_MOD_COURS="CG"><ENSEIGNANTS>%s<ENSEIGNANT ID="%s" TYPE="epp"/></ENSEIGNANTS></SERVICE>
`, g.extra, g.id(i))
			}
		}
		fmt.Fprintf(&b, "</SERVICES>\n</%s>\n", elem)
	}
	b.WriteString("</DIVISIONS></STRUCTURE>\n</DONNEES>\n</STS_EDT>\n")
	return b.String()
}

func (e *env) stsGen(g genSTS, mod ...func(*directory.Options)) (*directory.Report, error) {
	e.t.Helper()
	opts := directory.Options{UAI: g.uai, FileName: fmt.Sprintf("sts_emp_%s_%d.xml", g.uai, g.year)}
	for _, m := range mod {
		m(&opts)
	}
	return e.im.STS(context.Background(), strings.NewReader(g.xml()), opts)
}

// stsSetup creates the establishment and its divisions of 2025.
func (e *env) stsSetup(uai sillage.UAI) {
	e.t.Helper()
	e.establishment(uai, sillage.KindLP)
	ctx := context.Background()
	if err := e.st.Write(ctx, func(tx *store.Tx) error {
		for _, code := range stsDivisions {
			if err := tx.People().CreateDivision(ctx, uai, &sillage.Division{SchoolYear: 2025, Code: code, Label: code}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

// stsState is, by STS id, whether the person is active and their
// services; and, by division, the services it has.
func stsState(t testing.TB, st *store.Store, uai sillage.UAI) (map[string]aafPerson, map[string]string) {
	t.Helper()
	ctx := context.Background()
	people, byDiv := map[string]aafPerson{}, map[string]string{}
	err := st.Read(ctx, func(tx *store.Tx) error {
		divs, err := tx.People().ListDivisions(ctx, uai, 2025)
		if err != nil {
			return err
		}
		code := map[int64]string{}
		for _, d := range divs {
			code[d.ID] = d.Code
		}
		ps, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{})
		if err != nil {
			return err
		}
		sts := map[int64]string{}
		for _, p := range ps {
			sts[p.ID] = p.STSID
		}
		all, err := tx.People().ListServices(ctx, uai, 0)
		if err != nil {
			return err
		}
		svc := map[string][]string{}
		div := map[string][]string{}
		for _, s := range all {
			svc[sts[s.TeacherID]] = append(svc[sts[s.TeacherID]], code[s.DivisionID]+"/"+s.SubjectCode+"/"+s.Modality)
			div[code[s.DivisionID]] = append(div[code[s.DivisionID]], sts[s.TeacherID]+"/"+s.SubjectCode)
		}
		for _, p := range ps {
			if p.STSID == "" {
				continue
			}
			sort.Strings(svc[p.STSID])
			people[p.STSID] = aafPerson{active: p.Active(), services: strings.Join(svc[p.STSID], ",")}
		}
		for c, l := range div {
			sort.Strings(l)
			byDiv[c] = strings.Join(l, ",")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return people, byDiv
}

// checkSTSKeepsPresent imports g as it is, then g moved with the records
// of bad made invalid: no individual the file names is deactivated or
// loses a service; a rejected division keeps its services; the valid
// teachers move.
func checkSTSKeepsPresent(t testing.TB, e *env, g genSTS) {
	t.Helper()
	bad := g.bad
	g.bad = nil
	if rep, err := e.stsGen(g); err != nil || rep.Status != directory.StatusApplied {
		t.Fatalf("first import: %v %+v", err, rep)
	}
	people, divs := stsState(t, e.st, g.uai)
	g.bad, g.moved = bad, true
	rep, err := e.stsGen(g)
	if err != nil || rep.Status != expectedStatus(len(rep.Rejects)) {
		t.Fatalf("second import: %v %+v", err, rep)
	}
	after, divsAfter := stsState(t, e.st, g.uai)
	divBad := func(code string) bool {
		for k, c := range stsDivisions {
			if _, bad := bad[g.individuals+k]; bad && c == code {
				return true
			}
		}
		return false
	}
	for i := 0; i < g.individuals; i++ {
		id := g.id(i)
		b, a := people[id], after[id]
		_, invalid := bad[i]
		switch {
		case !a.active:
			t.Errorf("individual %s (invalid: %v) deactivated", id, invalid)
		case invalid && a != b:
			t.Errorf("individual %s rejected but changed: %+v → %+v", id, b, a)
		case !invalid:
			// The old service stays if its division was rejected; the
			// new one comes if its division is valid.
			var svc []string
			oldDiv, newDiv := g.divisionOf(i-1+len(stsDivisions)), g.divisionOf(i)
			if divBad(oldDiv) {
				svc = append(svc, oldDiv+"/020700/CG")
			}
			if !divBad(newDiv) {
				svc = append(svc, newDiv+"/020700/CG")
			}
			sort.Strings(svc)
			if a.services != strings.Join(svc, ",") {
				t.Errorf("individual %s valid: services %q → %q, want %q", id, b.services, a.services, strings.Join(svc, ","))
			}
		}
	}
	for k, code := range stsDivisions {
		if _, invalid := bad[g.individuals+k]; !invalid {
			continue
		}
		// The division's services stay, but those of the rejected
		// teachers, who are left as they were, are theirs anyway.
		if divs[code] != divsAfter[code] {
			t.Errorf("rejected division %s: services %q → %q", code, divs[code], divsAfter[code])
		}
	}
	left := 0
	for _, rj := range rep.Rejects {
		if rj.LeftAsIs {
			left++
		}
	}
	if left != len(bad) {
		t.Errorf("%d rejects left as they are, want %d: %+v", left, len(bad), rep.Rejects)
	}
}

// TestSTSRejectedKeepsPresentProperty: for STS-web exports and random
// subsets of their individuals and divisions made invalid, no individual
// whose ID is in the file is deactivated, and what a rejected record
// names keeps its services (rule 1).
func TestSTSRejectedKeepsPresentProperty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		rng := rand.New(rand.NewPCG(11, 3))
		for iter := 0; iter < 8; iter++ {
			g := genSTS{uai: validUAI(t, fmt.Sprintf("08650%02d", iter)), year: 2025, individuals: 2 + rng.IntN(8), bad: map[int]int{}}
			e.stsSetup(g.uai)
			n := g.individuals + stsNoDivisions
			k := rng.IntN(n + 1)
			for _, i := range rng.Perm(n)[:k] {
				g.bad[i] = rng.IntN(stsBadKinds)
			}
			t.Run(fmt.Sprintf("%d-of-%d", k, n), func(t *testing.T) { checkSTSKeepsPresent(t, e, g) })
		}
	})
}

// TestSTSUnexpectedElement: an element STS-web does not put there, inside
// a division's MEFs, services or teachers, is a warning; the division,
// its MEF and its services are imported (rule 8).
func TestSTSUnexpectedElement(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		uai := validUAI(t, "0866000")
		e.stsSetup(uai)
		rep := ok(t)(e.stsGen(genSTS{uai: uai, year: 2025, individuals: 3, extra: "<COMMENTAIRE>ajouté par le logiciel d'emploi du temps</COMMENTAIRE>"}))
		want(t, rep, directory.KindServices, 3, 0, 0, 0, 0)
		want(t, rep, directory.KindDivisions, 0, 3, 0, 0, 0)
		if len(rep.Rejects) != 0 {
			t.Errorf("rejects %+v", rep.Rejects)
		}
		// Per division: one in MEFS_APPARTENANCE, one in SERVICES, one per
		// service in ENSEIGNANTS.
		if len(rep.Warnings) != 9 || !strings.Contains(rep.Warnings[0], "<COMMENTAIRE> ignoré") || !strings.Contains(rep.Warnings[0], "ligne") {
			t.Errorf("warnings %q", rep.Warnings)
		}
		ctx := context.Background()
		st.Read(ctx, func(tx *store.Tx) error {
			divs, err := tx.People().ListDivisions(ctx, uai, 2025)
			for _, d := range divs {
				if len(d.MEFs) != 1 || !d.FromSTS {
					t.Errorf("division %+v", d)
				}
			}
			return err
		})
	})
}

// TestSTSSchoolYear: an export of a year before the establishment's
// current one, or before the last one applied, is refused with the file,
// the years and what to do; nothing is written (rule 4).
func TestSTSSchoolYear(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		uai := validUAI(t, "0867000")
		e.stsSetup(uai)
		held := func(g genSTS, words ...string) {
			t.Helper()
			before := dump(t, st)
			rep, err := e.stsGen(g)
			var old *directory.OldFileError
			if !errors.As(err, &old) || rep.Status != directory.StatusHeld {
				t.Fatalf("year %d: err %v, status %s", g.year, err, rep.Status)
			}
			for _, w := range append(words, "--confirm-old-file") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err.Error(), w)
				}
			}
			if dump(t, st) != before {
				t.Error("a held STS-web file wrote something")
			}
		}
		// The clock is in 2025-2026.
		held(genSTS{uai: uai, year: 2024, individuals: 2}, "année scolaire 2024-2025", "année en cours", "2025-2026")
		ok(t)(e.stsGen(genSTS{uai: uai, year: 2026, individuals: 2}))
		held(genSTS{uai: uai, year: 2025, individuals: 2}, "année scolaire 2025-2026", "dernier fichier appliqué", "2026-2027")
		// Confirmed explicitly, the older file is applied.
		ok(t)(e.stsGen(genSTS{uai: uai, year: 2025, individuals: 2}, func(o *directory.Options) { o.ConfirmOldFile = true }))
		// After the changeover closed 2025, the current year is 2026.
		uai2 := validUAI(t, "0867001")
		e.stsSetup(uai2)
		ctx := context.Background()
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Rollover().SetYearState(ctx, uai2, sillage.YearState{Closed: 2025})
		}); err != nil {
			t.Fatal(err)
		}
		// A file of the closed year itself is refused outright (the year is
		// being changed over).
		before := dump(t, st)
		rep, err := e.stsGen(genSTS{uai: uai2, year: 2025, individuals: 2})
		if err == nil || rep.Status != directory.StatusRefused || dump(t, st) != before {
			t.Fatalf("closed year: %v %s", err, rep.Status)
		}
	})
}

// rejectsSTS is a generated export, then (second) one with the teachers
// moved, an individual and a division invalid: the failpoint scenario of
// rule 1.
func rejectsSTS(second bool) genSTS {
	g := genSTS{uai: "0869901V", year: 2025, individuals: 4}
	if second {
		g.moved, g.bad = true, map[int]int{0: stsBadBirth, 4 + 1: stsMisspelt}
	}
	return g
}

func stsGenStep(g genSTS) importStep {
	return importStep{"sts", func(e *env) error {
		rep, err := e.stsGen(g)
		if err == nil && rep.Status != expectedStatus(len(rep.Rejects)) {
			err = fmt.Errorf("%s: %s", rep.Status, rep.Message)
		}
		return err
	}}
}

// expectedStatus is the status of an applied import with n rejects.
func expectedStatus(n int) directory.Status {
	if n > 0 {
		return directory.StatusAppliedWithRejects
	}
	return directory.StatusApplied
}
