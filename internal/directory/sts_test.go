package directory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func (e *env) sts(path string, mod ...func(*directory.Options)) (*directory.Report, error) {
	e.t.Helper()
	opts := directory.Options{UAI: scenarioUAI, FileName: path}
	for _, m := range mod {
		m(&opts)
	}
	return e.im.STS(context.Background(), open(e.t, path), opts)
}

// TestSTS imports the synthetic STS-web exports after the students: the
// divisions the students created are updated, never created; services,
// head teachers, the option group; a later export without a teacher.
func TestSTS(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		ok(t)(e.siecle(testdata("siecle_0860012W_1.xml"), scenarioUAI))
		ctx := context.Background()

		rep := ok(t)(e.sts(testdata("sts_emp_0860012W_2025.xml")))
		want(t, rep, directory.KindTeachers, 4, 0, 0, 0, 0)
		want(t, rep, directory.KindStaff, 2, 0, 0, 0, 0)
		want(t, rep, directory.KindDivisions, 0, 3, 0, 0, 0)
		want(t, rep, directory.KindGroups, 0, 1, 0, 0, 0)
		want(t, rep, directory.KindServices, 7, 0, 0, 0, 0)
		want(t, rep, directory.KindSubjects, 4, 0, 0, 0, 0)
		// The STS type of each individual is kept for LSU.
		var types map[string]string
		if err := st.Read(ctx, func(tx *store.Tx) (err error) { types, err = tx.Imports().ListSTSTypes(ctx, scenarioUAI); return err }); err != nil {
			t.Fatal(err)
		}
		epp, local := 0, 0
		for _, typ := range types {
			switch typ {
			case "epp":
				epp++
			case "local":
				local++
			}
		}
		if epp == 0 || local == 0 || epp+local != len(types) {
			t.Errorf("STS types = %v, want epp and local ones only", types)
		}
		warnings := strings.Join(rep.Warnings, "\n")
		if !strings.Contains(warnings, `"2 ELEC B"`) || !strings.Contains(warnings, `"LATIN"`) {
			t.Errorf("warnings = %q", warnings)
		}
		type view struct {
			byName   map[string]sillage.Person
			heads    map[string][]string
			services map[string]int
			divs     map[string]sillage.Division
		}
		look := func() view {
			v := view{byName: map[string]sillage.Person{}, heads: map[string][]string{}, services: map[string]int{}, divs: map[string]sillage.Division{}}
			err := st.Read(ctx, func(tx *store.Tx) error {
				ps, err := tx.People().ListPersons(ctx, scenarioUAI, sillage.PersonFilter{})
				if err != nil {
					return err
				}
				names := map[int64]string{}
				for _, p := range ps {
					if p.Role != sillage.RoleStudent {
						v.byName[p.LastName] = p
						names[p.ID] = p.LastName
					}
				}
				divs, err := tx.People().ListDivisions(ctx, scenarioUAI, 2025)
				if err != nil {
					return err
				}
				for _, d := range divs {
					v.divs[d.Code] = d
					hs, err := tx.People().ListHeadTeachers(ctx, scenarioUAI, d.ID)
					if err != nil {
						return err
					}
					for _, h := range hs {
						v.heads[d.Code] = append(v.heads[d.Code], names[h])
					}
				}
				svcs, err := tx.People().ListServices(ctx, scenarioUAI, 0)
				for _, s := range svcs {
					v.services[names[s.TeacherID]]++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v := look()
		if len(v.divs) != 3 {
			t.Errorf("divisions %v: STS must not create any", v.divs)
		}
		if d := v.divs["T MELEC"]; d.Label != "TERM BAC PRO MÉTIERS DE L'ÉLECTRICITÉ" || !slices.Equal(d.MEFs, []string{"24025510310", "24025510311"}) || !d.FromSTS {
			t.Errorf("T MELEC = %+v", d)
		}
		if p := v.byName["BÉRANGER"]; p.Role != sillage.RoleTeacher || p.STSID != "4189" || p.Civility != "Mme" || p.AccountID == 0 {
			t.Errorf("teacher = %+v", p)
		}
		if v.byName["CHÂTEAU"].Role != sillage.RoleDirector || v.byName["LEGRAND"].Role != sillage.RoleStaff {
			t.Errorf("roles: director %s, staff %s", v.byName["CHÂTEAU"].Role, v.byName["LEGRAND"].Role)
		}
		if !slices.Equal(v.heads["T MELEC"], []string{"OUDIN"}) || !slices.Equal(v.heads["2 MRC A"], []string{"BÉRANGER"}) || v.services["N'GUESSAN"] != 2 {
			t.Errorf("heads %v, services %v", v.heads, v.services)
		}
		allUnchanged(t, ok(t)(e.sts(testdata("sts_emp_0860012W_2025.xml"))))

		rep = ok(t)(e.sts(testdata("sts_emp_0860012W_2025_b.xml")))
		want(t, rep, directory.KindTeachers, 0, 0, 1, 0, 3)
		if c := rep.Count(directory.KindServices); c.Created != 1 || c.Unchanged != 5 || c.Deleted != 2 {
			t.Errorf("services %+v", c)
		}
		v = look()
		if v.byName["N'GUESSAN"].Active() || v.services["N'GUESSAN"] != 0 || v.services["ROY"] != 2 {
			t.Errorf("the teacher who left keeps services: %v", v.services)
		}
		if !slices.Equal(v.heads["T MELEC"], []string{"ROY"}) {
			t.Errorf("T MELEC heads = %v", v.heads["T MELEC"])
		}
		allUnchanged(t, ok(t)(e.sts(testdata("sts_emp_0860012W_2025_b.xml"))))
	})
}
