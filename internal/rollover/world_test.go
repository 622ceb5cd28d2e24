package rollover_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

var testKeyring = func() ident.Keyring {
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		panic(err)
	}
	return kr
}()

// N is the school year the tests close first (2025-2026).
const N = sillage.SchoolYear(2025)

// at returns a UTC instant of the summer after year y.
func at(y sillage.SchoolYear, m time.Month, d, h int) time.Time {
	return time.Date(int(y)+1, m, d, h, 0, 0, 0, time.UTC)
}

// world is a generated instance with everything the changeover touches.
type world struct {
	t       testing.TB
	ctx     context.Context
	st      *store.Store
	clock   *storetest.Clock
	blobs   blob.Store
	blobDir string
	e       *rollover.Engine
	opts    demo.Options
	uais    []sillage.UAI
	dir     string
	roster  map[sillage.UAI][]siecle.JoinedStudent // the students of the last file, by establishment
	// fixture ids, per establishment
	fx map[sillage.UAI]*fixtureIDs
}

type fixtureIDs struct {
	admin, director, teacher, teacher2, oldTeacher, recentParent int64
	yearGroup, permanentGroup, timetableGroup, optionGroup       int64
	space                                                        int64
	restored                                                     int64 // evaluation trashed then restored before step 1
	trashedEval, trashedSheet, trashedDoc                        int64
	division                                                     sillage.Division
	student                                                      int64
}

func newWorld(t testing.TB, st *store.Store, clock *storetest.Clock, establishments, students int) *world {
	t.Helper()
	ctx := context.Background()
	clock.T = time.Date(2026, time.June, 2, 9, 0, 0, 0, time.UTC)
	blobDir := filepath.Join(t.TempDir(), "files")
	blobs, err := blob.Open(blobDir, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	w := &world{t: t, ctx: ctx, st: st, clock: clock, blobs: blobs, blobDir: blobDir, dir: t.TempDir(), roster: map[sillage.UAI][]siecle.JoinedStudent{},
		fx: map[sillage.UAI]*fixtureIDs{}}
	w.opts = demo.Options{Seed: 7, Establishments: establishments, Students: students, Now: clock.T, MoverShare: 0.05,
		EvaluationsPerDivision: 3, CompetencesPerEvaluation: 3, Accounts: true, Attachments: true}
	res, err := demo.Generate(ctx, st, blobs, testKeyring, w.opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range res.Establishments {
		w.uais = append(w.uais, e.UAI)
		p := demo.Plan(w.opts, i)
		f := p.SIECLE(clock.T)
		w.roster[e.UAI] = f.Students
	}
	w.e = &rollover.Engine{Store: st, Blobs: blobs, Workers: benchWorkers(),
		Importer: &directory.Importer{Store: st, Keyring: testKeyring, TempDir: t.TempDir()}, ConfirmMassDeactivation: true}
	// The secrets key, outside the data (blobs) and the database.
	if w.e.Box, err = sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key")); err != nil {
		t.Fatal(err)
	}
	for _, uai := range w.uais {
		w.fx[uai] = w.decorate(uai)
	}
	return w
}

// write runs fn in a write transaction or fails the test.
func (w *world) write(fn func(tx *store.Tx) error) {
	w.t.Helper()
	if err := w.st.Write(w.ctx, fn); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) read(fn func(tx *store.Tx) error) {
	w.t.Helper()
	if err := w.st.Read(w.ctx, fn); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) put(content string) blob.Ref {
	w.t.Helper()
	ref, err := w.blobs.Put(strings.NewReader(content))
	if err != nil {
		w.t.Fatal(err)
	}
	return ref
}

// decorate adds to a generated establishment what the demo does not make:
// groups of every kind, a class space with rights and a document, trash,
// Livret Scolaire PDFs and exports, import reports, credential lists, an
// old deactivated teacher and a recently deactivated parent.
func (w *world) decorate(uai sillage.UAI) *fixtureIDs {
	ctx := w.ctx
	fx := &fixtureIDs{}
	w.write(func(tx *store.Tx) error {
		must := func(err error) {
			if err != nil {
				w.t.Fatal(err)
			}
		}
		persons, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{})
		must(err)
		var teachers []sillage.Person
		for _, p := range persons {
			switch p.Role {
			case sillage.RoleAdministrator:
				fx.admin = p.ID
			case sillage.RoleDirector:
				fx.director = p.ID
			case sillage.RoleTeacher:
				teachers = append(teachers, p)
			}
		}
		fx.teacher, fx.teacher2 = teachers[0].ID, teachers[1].ID
		old := sillage.Person{Role: sillage.RoleTeacher, FirstName: "Ancien", LastName: "Professeur", Source: sillage.SourceManual,
			DeactivatedAt: w.clock.T.AddDate(-4, 0, 0)}
		must(tx.People().CreatePerson(ctx, uai, &old))
		fx.oldTeacher = old.ID
		parent := sillage.Person{Role: sillage.RoleParent, FirstName: "Récent", LastName: "Parent", Source: sillage.SourceManual,
			DeactivatedAt: w.clock.T.AddDate(-2, 0, 0)}
		must(tx.People().CreatePerson(ctx, uai, &parent))
		fx.recentParent = parent.ID

		divs, err := tx.People().ListDivisions(ctx, uai, N)
		must(err)
		fx.division = divs[0]
		members, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{DivisionID: divs[0].ID, ActiveOnly: true})
		must(err)
		fx.student = members[0].ID

		g := sillage.Group{SchoolYear: N, Label: "Club théâtre", Kind: sillage.GroupFree, Lifetime: sillage.LifetimeYear, Managers: []int64{fx.teacher, fx.teacher2}}
		must(tx.People().CreateGroup(ctx, uai, &g))
		fx.yearGroup = g.ID
		g2 := sillage.Group{SchoolYear: N, Label: "Atelier robotique", Kind: sillage.GroupFree, Lifetime: sillage.LifetimeYear, Managers: []int64{fx.teacher}}
		must(tx.People().CreateGroup(ctx, uai, &g2))
		g3 := sillage.Group{SchoolYear: N, Label: "Association sportive", Kind: sillage.GroupFree, Lifetime: sillage.LifetimePermanent, Managers: []int64{fx.teacher2}}
		must(tx.People().CreateGroup(ctx, uai, &g3))
		fx.permanentGroup = g3.ID
		g4 := sillage.Group{SchoolYear: N, Code: "EDT1", Label: "Groupe EDT", Kind: sillage.GroupTimetable, Managers: []int64{fx.teacher}}
		must(tx.People().CreateGroup(ctx, uai, &g4))
		fx.timetableGroup = g4.ID
		g5 := sillage.Group{SchoolYear: N, Code: "ESP2", Label: "Espagnol LV2", Kind: sillage.GroupOption}
		must(tx.People().CreateGroup(ctx, uai, &g5))
		fx.optionGroup = g5.ID
		must(tx.People().AddGroupMember(ctx, uai, g.ID, fx.student))

		sp, err := tx.Rollover().CreateClassSpace(ctx, uai, divs[0].ID)
		must(err)
		fx.space = sp.ID
		must(tx.Rollover().SetClassSpaceRight(ctx, uai, sp.ID, fx.director, store.SpaceManager))
		must(tx.Rollover().SetClassSpaceRight(ctx, uai, sp.ID, members[1].ID, store.SpaceReader))
		doc := w.put("%PDF-1.4 cours de " + string(uai))
		must(tx.Rollover().AddClassSpaceFile(ctx, uai, &sillage.ClassSpaceFile{SpaceID: sp.ID, Name: "cours.pdf", SHA256: doc.SHA256, Size: doc.Size,
			ContentType: "application/pdf", PostedBy: fx.teacher}))
		if len(divs) > 1 {
			_, err := tx.Rollover().CreateClassSpace(ctx, uai, divs[1].ID)
			must(err)
		}

		// Trash: an evaluation, a sheet, a document; another evaluation
		// trashed then restored before step 1 (it must survive).
		evals, err := tx.Records().ListEvaluations(ctx, uai, sillage.EvaluationFilter{DivisionID: divs[0].ID})
		must(err)
		fx.trashedEval, fx.restored = evals[0].ID, evals[1].ID
		must(tx.Records().TrashEvaluation(ctx, uai, fx.trashedEval, fx.teacher))
		must(tx.Records().TrashEvaluation(ctx, uai, fx.restored, fx.teacher))
		sheets, err := tx.Records().ListSheets(ctx, uai, sillage.SheetFilter{})
		must(err)
		if len(sheets) == 0 {
			sh := sillage.Sheet{StudentID: fx.student, Kind: sillage.SheetBacPro, Title: "Situation", Context: sillage.ContextClass}
			must(tx.Records().CreateSheet(ctx, uai, &sh))
			sheets = append(sheets, sh)
		}
		fx.trashedSheet = sheets[0].ID
		must(tx.Records().TrashSheet(ctx, uai, fx.trashedSheet, fx.admin))
		ref := w.put("%PDF-1.4 document personnel")
		d := sillage.Document{StudentID: fx.student, Kind: sillage.DocumentFile, Name: "attestation.pdf", SHA256: ref.SHA256, Size: ref.Size,
			ContentType: "application/pdf", SchoolYear: N}
		must(tx.Records().AddDocument(ctx, uai, &d))
		d2 := sillage.Document{StudentID: fx.student, Kind: sillage.DocumentFile, Name: "brouillon.pdf", SHA256: ref.SHA256, Size: ref.Size,
			ContentType: "application/pdf", SchoolYear: N}
		must(tx.Records().AddDocument(ctx, uai, &d2))
		fx.trashedDoc = d2.ID
		must(tx.Records().TrashDocument(ctx, uai, d2.ID, fx.student))

		// Livret Scolaire: a closed report's PDF per student of the first
		// division, an export for the division and one for the establishment.
		periods, err := tx.Periods().ListPeriods(ctx, uai, N)
		must(err)
		for i, m := range members {
			rep, err := tx.Livret().UpsertPeriodicReport(ctx, uai, m.ID, periods[0].ID, fx.teacher)
			must(err)
			pdf := w.put(fmt.Sprintf("%%PDF-1.4 bilan %d %s", i, uai))
			must(tx.Livret().AddReportPDF(ctx, uai, &sillage.ReportPDF{Kind: store.ReportPDFPeriodic, ReportID: rep.ID, StudentID: m.ID, SchoolYear: N,
				DivisionCode: divs[0].Code, StudentName: m.FullName(), Title: "Bilan périodique — Trimestre 1", Name: "bilan-t1.pdf",
				SHA256: pdf.SHA256, Size: pdf.Size}))
		}
		xml := w.put("<lsu>division " + divs[0].Code + "</lsu>")
		rj := w.put(`{"rapport":1}`)
		must(tx.Livret().CreateLSUExport(ctx, uai, &sillage.LSUExport{SchoolYear: N, Degree: "2D", Version: "10.0", Selection: "division " + divs[0].Code + " — Trimestre 1",
			Outcome: store.ExportFile, ReportSHA256: rj.SHA256, ReportSize: rj.Size, FileName: "LSU_" + string(uai) + "_" + divs[0].Code + ".xml",
			FileSHA256: xml.SHA256, FileSize: xml.Size}))
		all := w.put("<lsu>établissement</lsu>")
		must(tx.Livret().CreateLSUExport(ctx, uai, &sillage.LSUExport{SchoolYear: N, Degree: "2D", Version: "10.0", Selection: "tout l'établissement — Trimestre 1",
			Outcome: store.ExportFile, ReportSHA256: rj.SHA256, ReportSize: rj.Size, FileName: "LSU_" + string(uai) + ".xml", FileSHA256: all.SHA256, FileSize: all.Size}))
		must(tx.Imports().CreateImportReport(ctx, uai, &sillage.ImportReport{Source: "siecle", FileName: "ElevesSansAdresses.xml", SchoolYear: N, Report: `{"statut":"applique"}`}))
		cred := w.put("identifiants")
		must(tx.Accounts().AddCredentialList(ctx, uai, &sillage.CredentialList{SchoolYear: N, DivisionCode: divs[0].Code, Title: divs[0].Code, Accounts: 2,
			PDFSHA256: cred.SHA256, PDFSize: cred.Size, CSVSHA256: cred.SHA256, CSVSize: cred.Size}))
		return nil
	})
	return fx
}

// restore takes the evaluation fx.restored out of the trash.
func (w *world) restore() {
	w.write(func(tx *store.Tx) error {
		for _, fx := range w.fx {
			if err := tx.Records().RestoreEvaluation(w.ctx, w.uaiOf(fx), fx.restored); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *world) uaiOf(fx *fixtureIDs) sillage.UAI {
	for u, f := range w.fx {
		if f == fx {
			return u
		}
	}
	return ""
}

// run runs a step for every establishment and fails the test unless each
// is done (or already done).
func (w *world) run(year sillage.SchoolYear, s rollover.Step, mod ...func(*rollover.Request)) *rollover.RunResult {
	w.t.Helper()
	req := rollover.Request{Year: year, Step: s, Actor: audit.Actor{Role: "operator", Name: "test"}}
	for _, m := range mod {
		m(&req)
	}
	res, err := w.e.Run(w.ctx, req)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Status != rollover.OutcomeDone && o.Status != rollover.OutcomeAlready {
			w.t.Fatalf("step %d of %s for %s: %s: %s", s, year, o.UAI, o.Status, o.Message)
		}
	}
	return res
}

// nextYearFiles writes the SIECLE files of year+1: every student moves up
// a level (2→1→T), those in terminale and those who left are gone, and a
// few new students enter seconde. It returns the files by establishment.
func (w *world) nextYearFiles(year sillage.SchoolYear) map[sillage.UAI]string {
	w.t.Helper()
	out := map[sillage.UAI]string{}
	for i, uai := range w.uais {
		var next []siecle.JoinedStudent
		seconde := map[string]bool{}
		for _, s := range w.roster[uai] {
			if !s.ExitDate.IsZero() || s.Division == "" {
				continue
			}
			switch s.Division[0] {
			case 'T':
				continue
			case '2':
				s.Division = "1" + s.Division[1:]
			case '1':
				s.Division = "T" + s.Division[1:]
				seconde["2"+s.Division[1:]] = true
			}
			s.Previous = nil
			next = append(next, s)
		}
		// Three new students in seconde.
		var codes []string
		for c := range seconde {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		if len(codes) == 0 {
			codes = []string{"2NEW1"}
		}
		for k := 0; k < 3; k++ {
			n := int64(8_000_000_000) + int64(i)*10_000 + int64(year)*10 + int64(k)
			digits := fmt.Sprintf("%010d", n)
			const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
			ine := ident.RawINE(digits + string(letters[n%23]))
			next = append(next, siecle.JoinedStudent{Student: siecle.Student{EleveID: fmt.Sprintf("9%d%02d%d", int(year), i, k), IDNational: ine, INEBEA: ine,
				LastName: "Nouveau", FirstName: fmt.Sprintf("Élève %d", k), BirthDate: time.Date(int(year)-14, 3, 1+k, 0, 0, 0, 0, time.UTC), Sex: "F",
				MEF: next[0].MEF, Status: "ST", EntryDate: time.Date(int(year)+1, 9, 1, 0, 0, 0, 0, time.UTC)}, Division: codes[k%len(codes)]})
		}
		f := &siecle.StudentsFile{Header: siecle.Header{UAJ: uai, Year: int(year) + 1, ExportDate: time.Date(int(year)+1, 8, 10, 0, 0, 0, 0, time.UTC)}, Students: next}
		p := filepath.Join(w.dir, fmt.Sprintf("%s_%d_ElevesSansAdresses.xml", uai, int(year)+1))
		var buf bytes.Buffer
		if err := siecle.WriteStudents(&buf, f); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			w.t.Fatal(err)
		}
		w.roster[uai] = next
		out[uai] = p
	}
	return out
}

// learningDigest digests the live learning record of the instance:
// evaluations (without their division link), results, comments, sheets,
// attachments and documents (but the changeover's archives), with counts.
func learningDigest(t testing.TB, st *store.Store) (string, map[string]int) {
	t.Helper()
	queries := map[string]string{
		"evaluations": `SELECT uai, id, title, date, level, diploma, referential_id, author_id, school_year, origin_uai, created_at FROM evaluations WHERE deleted_at IS NULL`,
		"results": `SELECT r.uai, r.evaluation_id, r.student_id, r.competence_id, r.value FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
			WHERE e.deleted_at IS NULL`,
		"comments": `SELECT c.uai, c.evaluation_id, c.student_id, c.text FROM comments c JOIN evaluations e ON e.uai = c.uai AND e.id = c.evaluation_id
			WHERE e.deleted_at IS NULL`,
		"sheets": `SELECT uai, id, student_id, kind, title, description, context, class, host, activities, author_id, result, comment, created_at, updated_at
			FROM sheets WHERE deleted_at IS NULL`,
		"attachments": `SELECT a.uai, a.id, a.sheet_id, a.name, a.sha256, a.size FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id
			WHERE s.deleted_at IS NULL`,
		"documents": `SELECT uai, id, student_id, kind, name, sha256, size, school_year FROM documents WHERE deleted_at IS NULL AND kind <> 'archive'`,
	}
	return digestQueries(t, st, queries)
}

func digestQueries(t testing.TB, st *store.Store, queries map[string]string) (string, map[string]int) {
	t.Helper()
	var names []string
	for n := range queries {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	counts := map[string]int{}
	for _, n := range names {
		lines := queryLines(t, st.SQLDB(), queries[n])
		counts[n] = len(lines)
		for _, l := range lines {
			fmt.Fprintf(h, "%s:%s\n", n, l)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil)), counts
}

// queryLines returns the rows of q, formatted and sorted.
func queryLines(t testing.TB, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				parts = append(parts, string(x))
			case time.Time:
				parts = append(parts, x.UTC().Format(time.RFC3339Nano))
			default:
				parts = append(parts, fmt.Sprint(x))
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// dbDigest digests every table of Sillage (not River's nor goose's).
func dbDigest(t testing.TB, st *store.Store) string {
	t.Helper()
	db := st.SQLDB()
	var q string
	if st.Kind() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	} else {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	tables := queryLines(t, db, q)
	h := sha256.New()
	for _, tb := range tables {
		if strings.HasPrefix(tb, "river") || strings.HasPrefix(tb, "goose") {
			continue
		}
		for _, l := range queryLines(t, db, "SELECT * FROM "+tb) {
			fmt.Fprintf(h, "%s:%s\n", tb, l)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// filesDigest lists the blob store's files with their sizes.
func filesDigest(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			lines = append(lines, fmt.Sprintf("%s %d", strings.TrimPrefix(p, dir), info.Size()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
