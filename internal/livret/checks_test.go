package livret_test

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func write(t testing.TB, st *store.Store, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := st.Write(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

func hasLine(r *lsu.Report, kind lsu.Kind, student, msg string) bool {
	return lineOf(r, kind, student, msg) != nil
}

func lineOf(r *lsu.Report, kind lsu.Kind, student, msg string) *lsu.Line {
	for i, l := range r.Lines {
		if l.Kind == kind && (student == "" || l.Student == student) && strings.Contains(l.Message, msg) {
			return &r.Lines[i]
		}
	}
	return nil
}

// TestBlockingChecksFromStore triggers every blocking check reachable from
// stored data, each from a fresh collège or école where one thing is wrong,
// on every engine: the line names the student, says what to do and links to
// the page where it is done.
func TestBlockingChecksFromStore(t *testing.T) {
	requireXmllint(t)
	first := func(f *lsutest.Fixture, div string) sillage.Student {
		for _, s := range f.Students {
			if s.DivisionCode == div {
				return s
			}
		}
		t.Fatalf("no student in %s", div)
		return sillage.Student{}
	}
	tests := []struct {
		name    string
		ecole   bool
		draft   bool
		mutate  func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error
		onde    func(f *lsutest.Fixture) []byte
		file    bool                                               // the whole file is refused
		student bool                                               // the first student of 3E1 (70001) is blocked
		message string                                             // in the blocking line
		link    func(f *lsutest.Fixture, s sillage.Student) string // the page where it is fixed
	}{
		{name: "report not closed", draft: true, student: true, message: "bilan non fermé", link: reportPage}, // the end-of-cycle reports still go
		{name: "no head of establishment", file: true, message: "aucun chef d'établissement", link: page("/comptes"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				return tx.People().SetPersonActive(ctx, f.UAI, f.Director.ID, false)
			}},
		{name: "division absent from the latest STS import", student: true, file: true, message: "absente du dernier import STS-web", link: page("/imports"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				d := f.Divisions[3]
				d.FromSTS = false
				return tx.People().UpdateDivision(ctx, f.UAI, d)
			}},
		{name: "no STS import at all", file: true, message: "aucune division issue d'un import STS-web", link: page("/imports"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				for _, d := range f.Divisions {
					d.FromSTS = false
					if err := tx.People().UpdateDivision(ctx, f.UAI, d); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "subject not linked to a SIECLE subject code", student: true, message: "non rattachée à un code matière SIECLE", link: page("/imports"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				s := first(f, "3E1")
				svcs, err := tx.People().ListServices(ctx, f.UAI, f.Teachers[0].ID)
				if err != nil {
					return err
				}
				svcs = append(svcs, sillage.Service{DivisionID: f.Divisions[3].ID, SubjectCode: "DOCUM"})
				if err := tx.People().ReplaceServices(ctx, f.UAI, f.Teachers[0].ID, svcs); err != nil {
					return err
				}
				r, err := tx.Livret().FindPeriodicReport(ctx, f.UAI, s.ID, f.Periods[0].ID)
				if err != nil {
					return err
				}
				if err := tx.Livret().SetPeriodicReportState(ctx, f.UAI, r.ID, sillage.ReportDraft, 0); err != nil {
					return err
				}
				if err := tx.Livret().SetSubjectResult(ctx, f.UAI, sillage.SubjectResult{ReportID: r.ID, SubjectCode: "DOCUM", Positioning: 3, Appreciation: "Recherches documentaires soignées."}); err != nil {
					return err
				}
				return tx.Livret().SetPeriodicReportState(ctx, f.UAI, r.ID, sillage.ReportClosed, 0)
			}},
		{name: "modality N refused by configuration", student: true, message: "modalité d'élection N refusée", link: page("/lsu#lsu-settings"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				ps, err := tx.People().ListProgrammes(ctx, f.UAI)
				if err != nil {
					return err
				}
				for i := range ps {
					if ps[i].SubjectCode == "020700" {
						ps[i].Modality = "N"
					}
				}
				return tx.People().ReplaceProgrammes(ctx, f.UAI, ps)
			}},
		{name: "end-of-cycle report with a domain not positioned", student: true, message: "domaines du socle sans positionnement", link: cyclePage,
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				s := first(f, "3E1")
				c, err := tx.Livret().FindCycleReport(ctx, f.UAI, s.ID, 4)
				if err != nil {
					return err
				}
				if err := tx.Livret().SetCycleReportState(ctx, f.UAI, c.ID, sillage.ReportDraft, 0); err != nil {
					return err
				}
				delete(c.Socle, "SYS_NAT")
				if err := tx.Livret().UpsertCycleReport(ctx, f.UAI, &c); err != nil {
					return err
				}
				return tx.Livret().SetCycleReportState(ctx, f.UAI, c.ID, sillage.ReportClosed, 0)
			}},
		{name: "student without ELEVE_ID", student: true, message: "sans identifiant SIECLE", link: page("/imports"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				s := first(f, "3E1")
				s.SIECLEID = ""
				return tx.People().UpdateStudent(ctx, f.UAI, s)
			}},
		{name: "year already rolled over", file: true, message: "l'année scolaire a été basculée", link: page("/changement-annee"),
			mutate: func(ctx context.Context, tx *store.Tx, f *lsutest.Fixture) error {
				return tx.Rollover().SetYearState(ctx, f.UAI, sillage.YearState{Archived: 2025})
			}},
		{name: "1st degree: class absent from the latest ONDE file", ecole: true, student: true, file: true, message: "absente du dernier import ONDE", link: page("/imports"),
			onde: func(f *lsutest.Fixture) []byte {
				// A stale file: the class has another id there.
				return bytes.ReplaceAll(f.ONDE, []byte(`"70001"`), []byte(`"79999"`))
			}},
		{name: "1st degree: student missing from the ONDE file", ecole: true, student: true, message: "INE absent", link: page("/lsu#export-form"),
			onde: func(f *lsutest.Fixture) []byte {
				lines := strings.Split(string(f.ONDE), "\n")
				s := first(f, "70001")
				var keep []string
				for _, l := range lines {
					if !strings.Contains(l, `"`+s.LastName+`";;"`+s.FirstName+`"`) {
						keep = append(keep, l)
					}
				}
				return []byte(strings.Join(keep, "\n"))
			}},
	}
	for _, engine := range storetest.Engines(t) {
		for _, tt := range tests {
			t.Run(string(engine)+"/"+tt.name, func(t *testing.T) {
				st := storetest.Open(t, engine, &storetest.Clock{T: storetest.Epoch})
				opts := lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 2, Periods: 1, Subjects: 3, Cycle: true, Draft: tt.draft}
				div := "3E1"
				if tt.ecole {
					opts = lsutest.Options{UAI: uaiEcole, Ecole: true, Divisions: 2, PerDivision: 2, Periods: 1, Subjects: 3, Cycle: true, Draft: tt.draft}
					div = "70001"
				}
				f, err := lsutest.Build(context.Background(), st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if tt.mutate != nil {
					write(t, st, func(ctx context.Context, tx *store.Tx) error { return tt.mutate(ctx, tx, f) })
				}
				req := livret.Request{Selection: livret.Selection{DivisionCode: div, PeriodIDs: f.PeriodIDs(1), Cycle: true}}
				if tt.ecole {
					data := f.ONDE
					if tt.onde != nil {
						data = tt.onde(f)
					}
					req.ONDE = readONDE(t, data)
				}
				out := run(t, st, openBlobs(t), f.UAI, req)
				s := first(f, div)
				who := ""
				if tt.student {
					who = s.FullName()
					if !hasLine(out.Report, lsu.Blocking, who, tt.message) {
						t.Fatalf("no blocking line %q for %s:\n%s", tt.message, who, reportCSV(t, out.Report))
					}
				} else if !hasLine(out.Report, lsu.Blocking, "", tt.message) {
					t.Fatalf("no blocking line %q:\n%s", tt.message, reportCSV(t, out.Report))
				}
				l := lineOf(out.Report, lsu.Blocking, who, tt.message)
				if want := tt.link(f, s); l.Fix == "" || l.Link != want {
					t.Errorf("blocking line %q: fix %q, link %q, want %q", l.Message, l.Fix, l.Link, want)
				}
				if tt.file != out.Refused() {
					t.Fatalf("file refused = %v, want %v (%s)\n%s", out.Refused(), tt.file, out.Export.Refusal, reportCSV(t, out.Report))
				}
				if !out.Refused() {
					if err := validate(t, out.Report.Target.Degree, out.Report.Target.Version, out.File); err != nil {
						t.Fatalf("the file of the other students does not validate: %v", err)
					}
				} else if out.File != "" || out.Export.FileSHA256 != "" {
					t.Fatal("a refused export offers a file")
				}
				if out.Export.ID == 0 || out.Export.ReportSHA256 == "" {
					t.Fatalf("the export and its report are not kept: %+v", out.Export)
				}
			})
		}
	}
}

// page, reportPage and cyclePage are the pages where a blocking line is
// fixed: a fixed one, the student's periodic report of the first period,
// their end-of-cycle report.
func page(path string) func(*lsutest.Fixture, sillage.Student) string {
	return func(*lsutest.Fixture, sillage.Student) string { return path }
}

func reportPage(f *lsutest.Fixture, s sillage.Student) string {
	return fmt.Sprintf("/livret/eleve/%d/%d", s.ID, f.Periods[0].ID)
}

func cyclePage(_ *lsutest.Fixture, s sillage.Student) string {
	return fmt.Sprintf("/livret/cycle/eleve/%d", s.ID)
}

// TestFixLinesFromStore shows the report lines of the fixes made on stored
// values, with the original and the written value.
func TestFixLinesFromStore(t *testing.T) {
	requireXmllint(t)
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 3, Periods: 1, Subjects: 2, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := f.Students[0], f.Students[1], f.Students[2]
	long := strings.Repeat("Très bon travail. ", 70) // 1260 characters: over 10.0's 1000
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		for i, s := range f.Students {
			r, err := tx.Livret().FindPeriodicReport(ctx, f.UAI, s.ID, f.Periods[0].ID)
			if err != nil {
				return err
			}
			switch i {
			case 0: // more unjustified absences than absences
				abs, unj := 2, 5
				r.Absences, r.Unjustified = &abs, &unj
			case 1: // no school life at all, no council date
				r.Late, r.Absences, r.Unjustified, r.MissedHours = nil, nil, nil, nil
				r.CouncilDate = sillage.Date{}
			case 2: // an appreciation over the limit
				if err := tx.Livret().SetSubjectResult(ctx, f.UAI, sillage.SubjectResult{ReportID: r.ID, SubjectCode: "020700", Average: new(1200), Appreciation: long}); err != nil {
					return err
				}
			}
			if err := tx.Livret().UpdatePeriodicReport(ctx, f.UAI, r); err != nil {
				return err
			}
			if err := tx.Livret().SetPeriodicReportState(ctx, f.UAI, r.ID, sillage.ReportClosed, 0); err != nil {
				return err
			}
		}
		return nil
	})
	out := run(t, st, openBlobs(t), f.UAI, livret.Request{Selection: livret.Selection{DivisionCode: "6E1", PeriodIDs: f.PeriodIDs(1)}})
	if out.Refused() {
		t.Fatalf("refused: %s", out.Export.Refusal)
	}
	find := func(student, msg string) lsu.Line {
		for _, l := range out.Report.Lines {
			if l.Kind == lsu.Fixed && l.Student == student && strings.Contains(l.Message, msg) {
				return l
			}
		}
		t.Fatalf("no fix line %q for %s:\n%s", msg, student, reportCSV(t, out.Report))
		return lsu.Line{}
	}
	if l := find(a.FullName(), "absences non justifiées (5) supérieures au total des absences (2)"); l.Before != "5" || l.After != "2" {
		t.Errorf("unjustified absences fix: %+v", l)
	}
	if l := find(b.FullName(), "vie scolaire non renseignée"); l.After != "0" {
		t.Errorf("school life fix: %+v", l)
	}
	if l := find(b.FullName(), "date du conseil de classe absente"); l.After != "06/10/2025" {
		t.Errorf("council date fix: %+v", l)
	}
	if l := find(c.FullName(), "appréciation tronqué à 1000 caractères"); len([]rune(l.After)) != 1000 {
		t.Errorf("truncation fix: %d characters written", len([]rune(l.After)))
	}
	xml := string(readFile(t, out.File))
	if !strings.Contains(xml, `nb-abs-injustifiees="2"`) {
		t.Error("the file does not carry the corrected unjustified absences")
	}
}

// TestVersionSettingChangesTheOutput: with the setting at 7.0 the same
// class gives a file that validates against 7.0 and not against 10.0, and
// the reverse with the default.
func TestVersionSettingChangesTheOutput(t *testing.T) {
	requireXmllint(t)
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 3, Periods: 1, Subjects: 3})
	if err != nil {
		t.Fatal(err)
	}
	blobs := openBlobs(t)
	sel := livret.Selection{DivisionCode: "6E1", PeriodIDs: f.PeriodIDs(1)}
	v10 := run(t, st, blobs, f.UAI, livret.Request{Selection: sel})
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		s, err := livret.LoadSettings(ctx, tx, f.UAI, lsu.SecondDegree)
		if err != nil {
			return err
		}
		s.Version = lsu.Version7
		return livret.SaveSettings(ctx, tx, f.UAI, lsu.SecondDegree, actor, s)
	})
	v7 := run(t, st, blobs, f.UAI, livret.Request{Selection: sel})
	if v10.Export.Version != "10.0" || v7.Export.Version != "7.0" {
		t.Fatalf("versions: %s, %s", v10.Export.Version, v7.Export.Version)
	}
	x10, x7 := string(readFile(t, v10.File)), string(readFile(t, v7.File))
	if !strings.Contains(x7, `schemaVersion="7.0"`) || !strings.Contains(x7, `/20"`) || strings.Contains(x10, `/20"`) {
		t.Fatal("the 7.0 file must carry text averages (\"15.25/20\") and the 10.0 file decimals")
	}
	if err := validate(t, lsu.SecondDegree, lsu.Version7, v7.File); err != nil {
		t.Fatalf("7.0 file against 7.0: %v", err)
	}
	if err := validate(t, lsu.SecondDegree, lsu.Version10, v7.File); err == nil {
		t.Fatal("the 7.0 file validates against 10.0: the setting changed nothing")
	}
	if err := validate(t, lsu.SecondDegree, lsu.Version7, v10.File); err == nil {
		t.Fatal("the 10.0 file validates against 7.0: the setting changed nothing")
	}
	// The command line's --schema overrides the setting for one export.
	over := run(t, st, blobs, f.UAI, livret.Request{Selection: sel, Version: "10.0"})
	if over.Export.Version != "10.0" {
		t.Fatalf("override: %s", over.Export.Version)
	}
	if _, err := livret.Run(context.Background(), st, blobs, f.UAI, livret.Request{Selection: sel, Version: "1.0b", SchemaDir: v10.File}); sillage.KindOf(err) != sillage.KindInvalid {
		t.Fatalf("a 1st-degree version for a collège: %v", err)
	}
}

// TestSplitByDivision: a ZIP of one validated file per division.
func TestSplitByDivision(t *testing.T) {
	requireXmllint(t)
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 3, PerDivision: 2, Periods: 1, Subjects: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []string{livret.SplitDivision, livret.SplitLevel} {
		out := run(t, st, openBlobs(t), f.UAI, livret.Request{Selection: livret.Selection{PeriodIDs: f.PeriodIDs(1)}, Split: by})
		if out.Refused() || !strings.HasSuffix(out.Export.FileName, ".zip") {
			t.Fatalf("split by %s: %+v", by, out.Export)
		}
		zr, err := zip.OpenReader(out.File)
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != 3 {
			t.Fatalf("split by %s: %d parts, want 3", by, len(zr.File))
		}
		dir := t.TempDir()
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			data, _ := io.ReadAll(rc)
			rc.Close()
			p := filepath.Join(dir, zf.Name)
			os.WriteFile(p, data, 0o600)
			if err := validate(t, lsu.SecondDegree, lsu.Version10, p); err != nil {
				t.Fatalf("part %s: %v", zf.Name, err)
			}
			if n := strings.Count(string(data), "<eleve "); n != 2 {
				t.Fatalf("part %s holds %d students, want 2", zf.Name, n)
			}
		}
		zr.Close()
	}
}

// TestSelection: one level, one student by ELEVE_ID, unknown selections.
func TestSelection(t *testing.T) {
	requireXmllint(t)
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 5, PerDivision: 2, Periods: 2, Subjects: 2})
	if err != nil {
		t.Fatal(err)
	}
	blobs := openBlobs(t)
	lvl := run(t, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{Level: "6eme", PeriodIDs: f.PeriodIDs(1)}})
	if lvl.Report.Counts.StudentsExported != 4 { // 6E1 and 6E2
		t.Fatalf("level 6EME: %d students", lvl.Report.Counts.StudentsExported)
	}
	one := run(t, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{EleveID: f.Students[3].SIECLEID, PeriodIDs: f.PeriodIDs(2)}})
	if one.Report.Counts.StudentsExported != 1 || one.Report.Counts.PeriodicReports != 2 || !strings.Contains(one.Export.Selection, f.Students[3].FullName()) {
		t.Fatalf("one student: %+v %s", one.Report.Counts, one.Export.Selection)
	}
	ctx := context.Background()
	for _, sel := range []livret.Selection{
		{EleveID: "424242", PeriodIDs: f.PeriodIDs(1)},
		{DivisionCode: "9Z9", PeriodIDs: f.PeriodIDs(1)},
		{DivisionCode: "6E1", PeriodIDs: []int64{123456789}},
	} {
		if _, err := livret.Run(ctx, st, blobs, f.UAI, livret.Request{Selection: sel, SchemaDir: "x"}); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("selection %+v: %v, want not found", sel, err)
		}
	}
	if _, err := livret.Run(ctx, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{DivisionCode: "6E1"}, SchemaDir: "x"}); sillage.KindOf(err) != sillage.KindInvalid {
		t.Errorf("no period and no cycle: %v", err)
	}
	// No schema folder and no xmllint needed: the built-in rules validate
	// the file, which is offered.
	out, err := livret.Run(ctx, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{DivisionCode: "6E1", PeriodIDs: f.PeriodIDs(1)}})
	if err != nil || out.Refused() {
		t.Fatalf("no schema folder: %v %+v", err, out)
	}
	defer out.Cleanup()
	data, err := os.ReadFile(out.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := lsu.ValidateRules(lsu.Target{Degree: lsu.SecondDegree, Version: lsu.Version10}, data); err != nil {
		t.Errorf("the file offered without schema folder: %v", err)
	}
}

func TestSchemaDir(t *testing.T) {
	if _, err := livret.SchemaDir(t.TempDir()); sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "SILLAGE_LSU_SCHEMA_DIR") {
		t.Errorf("a configured folder without schemas: %v", err)
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(t.TempDir())
	if got, err := livret.SchemaDir(""); got != "" || err != nil {
		t.Errorf("no schemas anywhere: %q %v, want the built-in rules alone", got, err)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "shared", "reference", "lsu", "2d"), 0o755)
	os.MkdirAll(filepath.Join(root, "shared", "reference", "lsu", "1d"), 0o755)
	os.MkdirAll(filepath.Join(root, "main"), 0o755)
	os.Chdir(filepath.Join(root, "main"))
	got, err := livret.SchemaDir("")
	if err != nil || !strings.HasSuffix(got, filepath.Join("shared", "reference", "lsu")) {
		t.Errorf("../shared/reference/lsu from the working directory: %q %v", got, err)
	}
}

// TestFirstDegreeNeedsONDE: without the ONDE file (or with a BE1D file),
// the 1st-degree export is refused with the message.
func TestFirstDegreeNeedsONDE(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f := ecole(t, st)
	_, err := livret.Run(context.Background(), st, openBlobs(t), f.UAI, livret.Request{Selection: livret.Selection{PeriodIDs: f.PeriodIDs(1)}, SchemaDir: "x"})
	if err != livret.ErrNoONDE {
		t.Fatalf("without ONDE: %v", err)
	}
	be1d := "Nom Elève;Nom d'usage Elève;Prénom Elève;Date naissance;Sexe;Adresse1; Cycle;Niveau;Classe\n\"A\";;\"B\";\"2017-01-01\";\"F\";;\"CYCLE II\";\"CE2\";\"CE2 A\"\n"
	_, err = livret.Run(context.Background(), st, openBlobs(t), f.UAI, livret.Request{Selection: livret.Selection{PeriodIDs: f.PeriodIDs(1)}, SchemaDir: "x",
		ONDE: readONDE(t, []byte(be1d))})
	if err != livret.ErrBE1D {
		t.Fatalf("with a BE1D file: %v", err)
	}
}

// TestNoINEKept runs 1st-degree exports (one valid, one refused) and scans
// every column of every table, every blob and the error texts for the
// INEs of the ONDE file: they reach the file handed over and nothing else.
func TestNoINEKept(t *testing.T) {
	requireXmllint(t)
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		f := ecole(t, st)
		blobDir := t.TempDir()
		blobs, err := blob.Open(blobDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer blobs.Close()
		ok := run(t, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{PeriodIDs: f.PeriodIDs(1), Cycle: true}, ONDE: readONDE(t, f.ONDE)})
		if ok.Refused() {
			t.Fatalf("refused: %s", ok.Export.Refusal)
		}
		file := string(readFile(t, ok.File))
		for _, ine := range f.INEs {
			if !strings.Contains(file, ine) {
				t.Fatalf("the file handed over lacks an INE")
			}
		}
		// A refused export (no director) with the same file.
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			return tx.People().SetPersonActive(ctx, f.UAI, f.Director.ID, false)
		})
		refused := run(t, st, blobs, f.UAI, livret.Request{Selection: livret.Selection{PeriodIDs: f.PeriodIDs(1)}, ONDE: readONDE(t, f.ONDE)})
		if !refused.Refused() {
			t.Fatal("expected a refusal")
		}
		// The refused attempt is journaled with its report's hash.
		var entries []sillage.AuditEntry
		write(t, st, func(ctx context.Context, tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(ctx, f.UAI, sillage.AuditFilter{Action: audit.ExportLSU})
			return err
		})
		journaled := false
		for _, e := range entries {
			if strings.HasSuffix(e.Target, "(refusé)") && strings.Contains(e.Details, refused.Export.ReportSHA256) {
				journaled = true
			}
		}
		if len(entries) != 2 || !journaled {
			t.Fatalf("journal of the exports: %+v", entries)
		}
		var texts []string
		texts = append(texts, fmt.Sprint(ok.Report), fmt.Sprintf("%+v", ok.Export), fmt.Sprint(refused.Report), refused.Export.Refusal)
		texts = append(texts, dumpTables(t, st)...)
		filepath.WalkDir(blobDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				texts = append(texts, string(b))
			}
			return nil
		})
		for _, ine := range f.INEs {
			for _, s := range texts {
				if strings.Contains(s, ine) {
					t.Fatalf("an INE was kept outside the file: %.200s", s)
				}
			}
		}
	})
}

// dumpTables returns every row of every table of the database as text.
func dumpTables(t testing.TB, st *store.Store) []string {
	t.Helper()
	db := st.SQLDB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if st.Kind() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 20 {
		t.Fatalf("only %d tables found", len(tables))
	}
	var out []string
	for _, table := range tables {
		out = append(out, dumpTable(t, db, table))
	}
	return out
}

func dumpTable(t testing.TB, db *sql.DB, table string) string {
	rows, err := db.Query(`SELECT * FROM ` + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(&b, "%v|", v)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
