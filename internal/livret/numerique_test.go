package livret_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestExportGoldenDigital exports, through the database on every engine, a
// 6e class of the collège with every block of its level (family, school
// life, digital skills of cycle 3) in 10.0 and 7.0: each file passes the
// built-in validator (and xmllint with the official XSD when installed)
// and equals its golden file; the student with nothing positioned gets a
// warning that leads to the class's page.
func TestExportGoldenDigital(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		col := college(t, st)
		if err := lsutest.AddFamily(ctx, st, col); err != nil {
			t.Fatal(err)
		}
		if err := lsutest.AddDigital(ctx, st, col); err != nil {
			t.Fatal(err)
		}
		blobs := openBlobs(t)
		for _, version := range []string{lsu.Version10, lsu.Version7} {
			name := "college_6E1_digital_" + version
			t.Run(name, func(t *testing.T) {
				out := run(t, st, blobs, uaiCollege, livret.Request{Selection: livret.Selection{DivisionCode: "6E1", PeriodIDs: col.PeriodIDs(2)}, Version: version})
				if out.Refused() {
					t.Fatalf("refused: %s\n%s", out.Export.Refusal, reportCSV(t, out.Report))
				}
				xml := readFile(t, out.File)
				for _, w := range []string{"<competences-numeriques-communs>", `type-structure="D"`, `<competences-numeriques comp-num-commun-refs="CNC_`,
					"<appreciation-num>", `<competence-num code="CN_`, "<vie-scolaire-commun ", "<devoirs-faits>"} {
					if !bytes.Contains(xml, []byte(w)) {
						t.Errorf("the file lacks %q", w)
					}
				}
				warned := false
				for _, l := range out.Report.Lines {
					if l.Kind == lsu.Warning && strings.Contains(l.Message, "compétence numérique") {
						warned = true
						if !strings.HasPrefix(l.Link, "/livret/numerique/eleve/") || l.Student == "" {
							t.Errorf("warning without the student or the page: %+v", l)
						}
					}
				}
				if !warned {
					t.Error("no warning for the student with nothing positioned")
				}
				if err := lsu.ValidateRules(lsu.Target{Degree: lsu.SecondDegree, Version: version}, xml); err != nil {
					t.Errorf("built-in validator: %v", err)
				}
				if _, err := exec.LookPath("xmllint"); err == nil {
					if err := validate(t, lsu.SecondDegree, version, out.File); err != nil {
						t.Errorf("xmllint with the official %s XSD: %v", version, err)
					}
				}
				golden(t, name+".xml", xml)
				golden(t, name+".report.csv", reportCSV(t, out.Report))
			})
		}
	})
}

func TestDigitalEntry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		f, err := lsutest.Build(ctx, st, lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 4, Periods: 2, Subjects: 6, Draft: true})
		if err != nil {
			t.Fatal(err)
		}
		eco, err := lsutest.Build(ctx, st, lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 1, PerDivision: 2, Periods: 1, Subjects: 3, Draft: true})
		if err != nil {
			t.Fatal(err)
		}
		var sixth, fifth sillage.Division
		for _, d := range f.Divisions {
			switch d.Code {
			case "6E1":
				sixth = d
			case "5E1":
				fifth = d
			}
		}
		p1 := f.Periods[0]
		var students []sillage.Student
		for _, s := range f.Students {
			if s.DivisionID == sixth.ID {
				students = append(students, s)
			}
		}
		dir := sillage.Who{UAI: uaiCollege, PersonID: f.Director.ID, Role: sillage.RoleDirector}
		var teaching, stranger, head sillage.Who
		var late sillage.Student
		err = st.Read(ctx, func(tx *store.Tx) error {
			heads, err := tx.People().ListHeadTeachers(ctx, uaiCollege, sixth.ID)
			if err != nil || len(heads) == 0 {
				t.Fatalf("no head teacher of 6E1: %v", err)
			}
			head = sillage.Who{UAI: uaiCollege, PersonID: heads[0], Role: sillage.RoleTeacher}
			for _, p := range f.Teachers {
				ok, err := tx.People().TeachesDivision(ctx, uaiCollege, p.ID, sixth.ID)
				if err != nil {
					return err
				}
				who := sillage.Who{UAI: uaiCollege, PersonID: p.ID, Role: sillage.RoleTeacher}
				if ok && p.ID != heads[0] && teaching.PersonID == 0 {
					teaching = who
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Every teacher of the fixture teaches every division: a newcomer
		// without a service is the stranger.
		err = st.Write(ctx, func(tx *store.Tx) error {
			p := sillage.Person{Role: sillage.RoleTeacher, LastName: "NOUVEAU", FirstName: "Paul"}
			if err := tx.People().CreatePerson(ctx, uaiCollege, &p); err != nil {
				return err
			}
			stranger = sillage.Who{UAI: uaiCollege, PersonID: p.ID, Role: sillage.RoleTeacher}
			// A student arrived after the reports were drafted has none yet.
			late = sillage.Student{Person: sillage.Person{LastName: "ARRIVÉE", FirstName: "Lou", Source: sillage.SourceSIECLE, SIECLEID: "2000001"},
				MEF: students[0].MEF, DivisionID: sixth.ID}
			return tx.People().CreateStudent(ctx, uaiCollege, &late)
		})
		if err != nil {
			t.Fatal(err)
		}
		if teaching.PersonID == 0 || stranger.PersonID == 0 {
			t.Fatalf("the fixture lacks a teacher of 6E1 or one outside it")
		}
		load := func(who sillage.Who, div, period int64) (*livret.DigitalEntry, error) {
			var v *livret.DigitalEntry
			err := st.Read(ctx, func(tx *store.Tx) (err error) {
				v, err = livret.LoadDigitalEntry(ctx, tx, who.UAI, who, div, period)
				return err
			})
			return v, err
		}
		save := func(who sillage.Who, in livret.DigitalInput) error {
			return st.Write(ctx, func(tx *store.Tx) error {
				return livret.SaveDigitalEntry(ctx, tx, uaiCollege, who, sixth.ID, p1.ID, in)
			})
		}

		// Who reaches the page.
		for _, who := range []sillage.Who{dir, head, teaching} {
			v, err := load(who, sixth.ID, p1.ID)
			if err != nil {
				t.Fatalf("%v: %v", who.Role, err)
			}
			if len(v.Rows) != len(students)+1 || len(v.Domains) != 5 || len(v.Rows[0].Cells) != 16 {
				t.Fatalf("page: %d rows, %d domains", len(v.Rows), len(v.Domains))
			}
		}
		if _, err := load(stranger, sixth.ID, p1.ID); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("a teacher outside the division: %v", err)
		}
		if _, err := load(dir, fifth.ID, p1.ID); sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), "cycle 3") {
			t.Errorf("a 5e division: %v", err)
		}
		ecoDir := sillage.Who{UAI: uaiEcole, PersonID: eco.Director.ID, Role: sillage.RoleDirector}
		if _, err := load(ecoDir, eco.Divisions[0].ID, eco.Periods[0].ID); sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), "1er degré") {
			t.Errorf("an école: %v", err)
		}

		// A teacher of the division enters two students and the class.
		s0, s1 := students[0], students[1]
		in := livret.DigitalInput{
			Common:        "Salle informatique : recherche documentaire.",
			Appreciations: map[int64]string{s0.ID: "  Autonome.  ", s1.ID: ""},
			Levels: map[int64]map[string]string{
				s0.ID:   {"CN_INF_MEN": "3", "CN_CRE_PRO": "1", "CN_ENV_EVO": ""},
				s1.ID:   {"CN_COM_COL": "2"},
				late.ID: {"CN_PRO_SEC": "2"},
			},
		}
		if err := save(teaching, in); err != nil {
			t.Fatal(err)
		}
		v, err := load(dir, sixth.ID, p1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Common != in.Common {
			t.Errorf("common appreciation: %q", v.Common)
		}
		rows := map[int64]livret.DigitalRow{}
		for _, r := range v.Rows {
			rows[r.Student.ID] = r
		}
		cell := func(r livret.DigitalRow, code string) string {
			for _, c := range r.Cells {
				if c.Code == code {
					return c.Value
				}
			}
			return "?"
		}
		if r := rows[s0.ID]; r.ReportID == 0 || r.Appreciation != "Autonome." || r.Positioned != 2 || cell(r, "CN_INF_MEN") != "3" || cell(r, "CN_CRE_PRO") != "1" {
			t.Errorf("first student: %+v", r)
		}
		if r := rows[s1.ID]; r.Positioned != 1 || cell(r, "CN_COM_COL") != "2" {
			t.Errorf("second student: %+v", r)
		}
		if r := rows[late.ID]; r.ReportID == 0 || cell(r, "CN_PRO_SEC") != "2" {
			t.Errorf("the student without a report: %+v", r)
		}
		if r := rows[students[2].ID]; r.Positioned != 0 || r.Appreciation != "" {
			t.Errorf("a student left alone changed: %+v", r)
		}

		// Bad input: a clear French error, nothing changed.
		for _, bad := range []livret.DigitalInput{
			{Common: "Changé", Levels: map[int64]map[string]string{s0.ID: {"CN_INF_MEN": "4"}}},
			{Common: "Changé", Levels: map[int64]map[string]string{s0.ID: {"CN_XYZ": "2"}}},
			{Common: "Changé", Appreciations: map[int64]string{s1.ID: strings.Repeat("é", 601)}},
			{Common: strings.Repeat("a", 601)},
		} {
			if err := save(teaching, bad); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if err := save(teaching, livret.DigitalInput{Common: in.Common, Appreciations: map[int64]string{f.Students[len(f.Students)-1].ID: "x"}}); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("a student of another division: %v", err)
		}
		if err := save(stranger, in); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("a teacher outside the division saves: %v", err)
		}
		after, err := load(dir, sixth.ID, p1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Common != in.Common || cell(rowOf(after, s0.ID), "CN_INF_MEN") != "3" {
			t.Errorf("a refused form changed the page: %q %+v", after.Common, rowOf(after, s0.ID))
		}

		// A closed report no longer changes; clearing the common removes it.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Livret().SetPeriodicReportState(ctx, uaiCollege, rowOf(after, s0.ID).ReportID, sillage.ReportClosed, f.Director.ID)
		}); err != nil {
			t.Fatal(err)
		}
		if err := save(teaching, livret.DigitalInput{Common: in.Common, Levels: map[int64]map[string]string{s0.ID: {"CN_INF_MEN": "1"}}}); sillage.KindOf(err) != sillage.KindConflict {
			t.Errorf("a closed report changes: %v", err)
		}
		if err := save(head, livret.DigitalInput{Common: " "}); err != nil {
			t.Fatal(err)
		}
		if v, err := load(dir, sixth.ID, p1.ID); err != nil || v.Common != "" {
			t.Errorf("after clearing: %q, %v", v.Common, err)
		}

		// The export's link finds the division of the student.
		err = st.Read(ctx, func(tx *store.Tx) error {
			d, err := livret.DigitalEntryOf(ctx, tx, uaiCollege, teaching, s0.ID)
			if err != nil || d != sixth.ID {
				t.Errorf("DigitalEntryOf: %d, %v", d, err)
			}
			if _, err := livret.DigitalEntryOf(ctx, tx, uaiCollege, stranger, s0.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("DigitalEntryOf for a stranger: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func rowOf(v *livret.DigitalEntry, studentID int64) livret.DigitalRow {
	for _, r := range v.Rows {
		if r.Student.ID == studentID {
			return r
		}
	}
	return livret.DigitalRow{}
}

// TestReportDigital: the report of each student of a 6e carries the levels
// and appreciation stored for them, in the CRCN's order, with the class's
// common appreciation of the period and the way to the entry while a
// draft; a 5e's report has none of it nor the way.
func TestReportDigital(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		f, err := lsutest.Build(ctx, st, lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 5, Periods: 2, Subjects: 3, Draft: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := lsutest.AddDigital(ctx, st, f); err != nil {
			t.Fatal(err)
		}
		dir := sillage.Who{UAI: uaiCollege, PersonID: f.Director.ID, Role: sillage.RoleDirector}
		division := map[int64]sillage.Division{}
		for _, d := range f.Divisions {
			division[d.ID] = d
		}
		seen := 0
		err = st.Read(ctx, func(tx *store.Tx) error {
			commons, err := tx.Livret().ListClassDigitalSkills(ctx, uaiCollege, nil)
			if err != nil {
				return err
			}
			common := map[[2]int64]string{}
			for _, c := range commons {
				common[[2]int64{c.DivisionID, c.PeriodID}] = c.Comment
			}
			for _, p := range f.Periods {
				for _, s := range f.Students {
					v, err := livret.LoadReport(ctx, tx, uaiCollege, dir, s.ID, p.ID)
					if err != nil {
						return err
					}
					stored, err := tx.Livret().ListDigitalSkills(ctx, uaiCollege, []int64{v.Report.ID})
					if err != nil {
						return err
					}
					ds := stored[v.Report.ID]
					var want []string
					for _, sk := range lsu.DigitalSkillCodes {
						if n, ok := ds.Levels[sk.Code]; ok {
							want = append(want, sk.Label+": "+lsu.DigitalLevelLabels[n])
						}
					}
					var got []string
					for _, l := range v.Digital {
						got = append(got, l.Label+": "+l.LevelLabel())
					}
					name := s.FullName() + " (" + division[s.DivisionID].Code + ", " + p.Label() + ")"
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s: levels\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
					}
					if v.DigitalAppreciation != ds.Appreciation || v.ClassDigital != common[[2]int64{s.DivisionID, p.ID}] {
						t.Errorf("%s: appreciation %q, class %q", name, v.DigitalAppreciation, v.ClassDigital)
					}
					sixth := strings.HasPrefix(division[s.DivisionID].Code, "6")
					if v.CanEnterDigital != sixth || v.HasDigital() != sixth {
						t.Errorf("%s: may enter %v, has the section %v; want %v", name, v.CanEnterDigital, v.HasDigital(), sixth)
					}
					if len(v.Digital) > 0 {
						seen++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen == 0 {
			t.Fatal("no report with digital skills: the fixture changed")
		}
	})
}
