package rollover_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestFullChangeover runs two changeovers of a generated instance of three
// establishments, step by step on the calendar's dates (injected clock),
// and checks after each step what rollover.md says.
func TestFullChangeover(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 3, 300)
		ctx := w.ctx
		cal := rollover.DefaultCalendar(N)
		cal.GroupReminder = sillage.NewDate(2026, time.July, 10)
		w.write(func(tx *store.Tx) error { return rollover.SaveCalendar(ctx, tx, cal, "test") })

		// The messages come on their dates, not before.
		w.notices(0, 0, 0)
		clock.T = at(N, time.June, 30, 9)
		w.notices(0, 2, 0)
		w.notices(0, 0, 0) // each once
		clock.T = at(N, time.July, 1, 9)
		w.notices(1, 0, 0)
		for _, uai := range w.uais {
			fx := w.fx[uai]
			w.checkGroupWarning(uai, fx.teacher, at(N, time.June, 30, 9), []int64{fx.yearGroup}, []int64{fx.permanentGroup, fx.timetableGroup})
			msgs := w.messages(uai, fx.admin, "[Changement d'année] La corbeille sera vidée le 15/07/2026")
			if len(msgs) != 1 || !strings.Contains(msgs[0].Body, rollover.TrashPath) || !msgs[0].CreatedAt.Equal(at(N, time.July, 1, 9)) {
				t.Fatalf("%s: trash warning %+v", uai, msgs)
			}
		}
		clock.T = at(N, time.July, 3, 14)
		w.restore() // restored before step 1: it survives
		clock.T = at(N, time.July, 10, 9)
		w.notices(0, 0, 2)

		// Order: step 2 before step 1 is refused, and says why.
		clock.T = at(N, time.July, 15, 8)
		res, err := w.e.Run(ctx, rollover.Request{Year: N, Step: rollover.StepArchive})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Outcomes {
			if o.Status != rollover.OutcomeRefused || !strings.Contains(o.Message, "l'étape 1") {
				t.Fatalf("step 2 before step 1: %+v", o)
			}
		}

		learning0, counts0 := learningDigest(t, st)
		// The dry run changes nothing, neither the database nor the files.
		dbBefore, filesBefore := dbDigest(t, st), filesDigest(t, w.blobDir)
		p, err := w.e.Plan(ctx, N, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rollover.Steps {
			if _, err := w.e.Run(ctx, rollover.Request{Year: N, Step: s, DryRun: true}); err != nil {
				t.Fatal(err)
			}
		}
		if dbDigest(t, st) != dbBefore || filesDigest(t, w.blobDir) != filesBefore {
			t.Fatal("the dry run changed the database or the files")
		}
		if got := p.Totals[0]; findCount(got, "evaluations") != 3 || findCount(got, "sheets") != 3 || findCount(got, "documents") != 3 {
			t.Fatalf("plan of step 1: %+v", got)
		}

		// Step 1: the trash is emptied; the restored item is still there.
		res = w.run(N, rollover.StepPurge)
		for _, o := range res.Outcomes {
			if o.Report.Get("evaluations") != 1 || o.Report.Get("sheets") != 1 || o.Report.Get("documents") != 1 || o.Report.Get("class_spaces") != 0 {
				t.Fatalf("step 1 report %+v", o.Report.Counts)
			}
		}
		for _, uai := range w.uais {
			fx := w.fx[uai]
			w.read(func(tx *store.Tx) error {
				if _, err := tx.Records().GetEvaluation(ctx, uai, fx.restored); err != nil {
					t.Fatalf("restored evaluation: %v", err)
				}
				if _, err := tx.Records().GetEvaluation(ctx, uai, fx.trashedEval); sillage.KindOf(err) != sillage.KindNotFound {
					t.Fatalf("trashed evaluation still there: %v", err)
				}
				if _, err := tx.Records().GetSheet(ctx, uai, fx.trashedSheet); sillage.KindOf(err) != sillage.KindNotFound {
					t.Fatalf("trashed sheet still there: %v", err)
				}
				return nil
			})
		}
		w.twice(N, rollover.StepPurge)

		// Step 2: archives and class spaces.
		clock.T = at(N, time.July, 16, 8)
		learning1, _ := learningDigest(t, st)
		w.run(N, rollover.StepArchive)
		for _, uai := range w.uais {
			w.checkClassArchives(uai, N)
			w.checkStudentArchives(uai, N)
			w.checkTrashedSpaceRights(uai)
			w.read(func(tx *store.Tx) error {
				if s, err := tx.Rollover().GetYearState(ctx, uai); err != nil || s != (sillage.YearState{Closed: 2025, Archived: 2025}) {
					t.Fatalf("year state %+v, %v", s, err)
				}
				return nil
			})
		}
		w.twice(N, rollover.StepArchive)

		// Between steps 2 and 4, an ordinary year-N import is refused.
		w.checkYearNImportRefused(0)

		// Step 3: year-scoped data goes, the managers get the summary.
		clock.T = at(N, time.July, 17, 8)
		w.run(N, rollover.StepCleanup)
		for _, uai := range w.uais {
			fx := w.fx[uai]
			w.checkSummary(uai, fx.teacher, []string{"Atelier robotique", "Club théâtre"}, at(N, time.July, 17, 8))
			w.checkSummary(uai, fx.teacher2, []string{"Club théâtre"}, at(N, time.July, 17, 8))
			w.read(func(tx *store.Tx) error {
				c, err := tx.Rollover().CountYearScoped(ctx, uai, N)
				if err != nil {
					return err
				}
				if c != (sillage.YearCounts{}) {
					t.Fatalf("%s: year-scoped data left after step 3: %+v", uai, c)
				}
				if _, err := tx.People().GetGroup(ctx, uai, fx.permanentGroup); err != nil {
					t.Fatalf("permanent group deleted: %v", err)
				}
				if rs, _ := tx.Imports().ListImportReports(ctx, uai); len(rs) != 0 {
					t.Fatalf("import reports left")
				}
				if ls, _ := tx.Accounts().ListCredentialLists(ctx, uai); len(ls) != 0 {
					t.Fatalf("credential lists left")
				}
				return nil
			})
		}
		if l, _ := learningDigest(t, st); l != learning1 {
			t.Fatal("step 3 changed the learning record")
		}
		w.twice(N, rollover.StepCleanup)
		w.checkYearNImportRefused(0)

		// Step 4: the directory of 2026-2027, the retention, the blocking.
		clock.T = at(N, time.August, 17, 7)
		files := w.nextYearFiles(N)
		indexBefore := map[sillage.UAI]int{}
		for _, uai := range w.uais {
			w.read(func(tx *store.Tx) (err error) {
				indexBefore[uai], err = tx.Transfer().CountIndexEntries(ctx, uai)
				return err
			})
		}
		res = w.run(N, rollover.StepDirectory, func(r *rollover.Request) { r.Files = files })
		for _, o := range res.Outcomes {
			// The terminale students left: deactivated, their record in the transfer index.
			left := o.Report.Get("students_deactivated")
			var after int
			w.read(func(tx *store.Tx) (err error) { after, err = tx.Transfer().CountIndexEntries(ctx, o.UAI); return err })
			if left == 0 || after-indexBefore[o.UAI] != int(left) {
				t.Fatalf("%s: %d deactivated, index %d → %d", o.UAI, left, indexBefore[o.UAI], after)
			}
		}
		blocker := rollover.NewBlocker(st)
		for _, uai := range w.uais {
			fx := w.fx[uai]
			w.read(func(tx *store.Tx) error {
				if s, err := tx.Rollover().GetYearState(ctx, uai); err != nil || s.Closed != 0 || s.Archived != 2025 {
					t.Fatalf("year state after step 4: %+v, %v", s, err)
				}
				if _, err := tx.People().GetPerson(ctx, uai, fx.oldTeacher); sillage.KindOf(err) != sillage.KindNotFound {
					t.Fatalf("teacher deactivated 4 years ago not deleted: %v", err)
				}
				if _, err := tx.People().GetPerson(ctx, uai, fx.recentParent); err != nil {
					t.Fatalf("parent deactivated 2 years ago deleted: %v", err)
				}
				divs, err := tx.People().ListDivisions(ctx, uai, N+1)
				if err != nil || len(divs) == 0 {
					t.Fatalf("no division of 2026: %v", err)
				}
				for _, d := range divs {
					if d.Code[0] != '1' && d.Code[0] != 'T' && d.Code[0] != '2' {
						t.Fatalf("unexpected division %s", d.Code)
					}
				}
				entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: "retention.deletion"})
				if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Details, "1 compte") {
					t.Fatalf("retention audit: %+v %v", entries, err)
				}
				return nil
			})
			if msgs := w.messages(uai, fx.admin, "[Changement d'année] Vérifiez l'annuaire de la nouvelle année"); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "/imports") {
				t.Fatalf("invitation: %+v", msgs)
			}
			// Students and parents see the message; teachers do not; on
			// the first day of term nobody is blocked.
			clock.T = at(N, time.August, 20, 10)
			if b, msg := blocker.Blocked(ctx, uai, sillage.RoleStudent); !b || !strings.Contains(msg, "du 17 août au 31 août 2026 inclus") || !strings.Contains(msg, "2026-2027") {
				t.Fatalf("student not blocked: %v %q", b, msg)
			}
			if b, _ := blocker.Blocked(ctx, uai, sillage.RoleParent); !b {
				t.Fatal("parent not blocked")
			}
			if b, _ := blocker.Blocked(ctx, uai, sillage.RoleTeacher); b {
				t.Fatal("teacher blocked")
			}
			clock.T = at(N, time.September, 1, 7)
			if b, _ := blocker.Blocked(ctx, uai, sillage.RoleStudent); b {
				t.Fatal("student blocked on the first day of term")
			}
			clock.T = at(N, time.August, 17, 7)
		}
		if l, _ := learningDigest(t, st); l != learning1 {
			t.Fatal("step 4 changed the learning record")
		}
		w.twice(N, rollover.StepDirectory)

		// Step 5: the periods of 2026-2027 from the first day of term.
		clock.T = at(N, time.August, 25, 8)
		w.run(N, rollover.StepPeriods)
		for _, uai := range w.uais {
			w.read(func(tx *store.Tx) error {
				ps, err := tx.Periods().ListPeriods(ctx, uai, N+1)
				if err != nil || len(ps) != 3 || ps[0].Start != sillage.NewDate(2026, time.September, 1) || ps[2].End != sillage.NewDate(2027, time.July, 3) {
					t.Fatalf("periods of 2026: %+v %v", ps, err)
				}
				return nil
			})
		}
		w.twice(N, rollover.StepPeriods)

		// The learning record is intact: the live record before step 1 and
		// after step 5 differ only by what step 1 purged from the trash.
		learning5, counts5 := learningDigest(t, st)
		if learning5 != learning1 {
			t.Fatal("the changeover changed the learning record")
		}
		for k, n := range counts0 {
			if counts5[k] != n {
				t.Fatalf("%s: %d before, %d after", k, n, counts5[k])
			}
		}
		_ = learning0

		// The second year: some work in 2026-2027, then its changeover.
		clock.T = time.Date(2027, time.March, 3, 10, 0, 0, 0, time.UTC)
		w.yearTwoWork()
		learningY2, _ := learningDigest(t, st)
		for _, s := range rollover.Steps {
			clock.T = at(N+1, time.July, 15+int(s), 8)
			if s == rollover.StepDirectory {
				clock.T = at(N+1, time.August, 18, 8)
				files := w.nextYearFiles(N + 1)
				w.run(N+1, s, func(r *rollover.Request) { r.Files = files })
				continue
			}
			res := w.run(N+1, s)
			if s == rollover.StepPurge {
				for _, o := range res.Outcomes {
					// The two spaces archived last summer, and the document trashed this year.
					if o.Report.Get("class_spaces") != 2 || o.Report.Get("documents") != 1 {
						t.Fatalf("year 2 step 1: %+v", o.Report.Counts)
					}
				}
			}
		}
		for _, uai := range w.uais {
			w.checkClassArchives(uai, N+1)
			w.checkStudentArchives(uai, N+1)
		}
		if l, _ := learningDigest(t, st); l != learningY2 {
			t.Fatal("the second changeover changed the learning record")
		}
	})
}

func findCount(list []rollover.Count, key string) int64 {
	for _, c := range list {
		if c.Key == key {
			return c.N
		}
	}
	return -1
}

// notices sends the messages due and checks how many of each kind went.
func (w *world) notices(trash, groups, reminders int) {
	w.t.Helper()
	rep, err := rollover.SendDueNotices(w.ctx, w.st)
	if err != nil {
		w.t.Fatal(err)
	}
	n := len(w.uais)
	if rep.Sent[rollover.NoticeTrash] != trash*n || rep.Sent[rollover.NoticeGroupWarning] != groups*n || rep.Sent[rollover.NoticeGroupReminder] != reminders*n {
		w.t.Fatalf("notices on %s: %+v, want %d/%d/%d per establishment", w.clock.T, rep.Sent, trash, groups, reminders)
	}
}

func (w *world) messages(uai sillage.UAI, to int64, subject string) []sillage.InboxMessage {
	w.t.Helper()
	var out []sillage.InboxMessage
	w.read(func(tx *store.Tx) error {
		ms, err := tx.Accounts().ListMessages(w.ctx, uai, to)
		for _, m := range ms {
			if m.Subject == subject {
				out = append(out, m)
			}
		}
		return err
	})
	return out
}

func (w *world) checkGroupWarning(uai sillage.UAI, to int64, sent time.Time, with, without []int64) {
	w.t.Helper()
	msgs := w.messages(uai, to, rollover.SubjectGroupWarning)
	if len(msgs) != 1 || !msgs[0].CreatedAt.Equal(sent) {
		w.w().Fatalf("%s: group warning to %d: %+v", uai, to, msgs)
	}
	for _, g := range with {
		if !strings.Contains(msgs[0].Body, rollover.GroupPath(g)) {
			w.t.Fatalf("warning lacks the link of group %d:\n%s", g, msgs[0].Body)
		}
	}
	for _, g := range without {
		if strings.Contains(msgs[0].Body, rollover.GroupPath(g)) {
			w.t.Fatalf("warning lists group %d:\n%s", g, msgs[0].Body)
		}
	}
	if !strings.Contains(msgs[0].Body, "seront supprimés le 17/07/2026") {
		w.t.Fatalf("warning without the step 3 date:\n%s", msgs[0].Body)
	}
}

func (w *world) w() testing.TB { return w.t }

func (w *world) checkSummary(uai sillage.UAI, to int64, groups []string, sent time.Time) {
	w.t.Helper()
	msgs := w.messages(uai, to, rollover.SubjectGroupSummary)
	if len(msgs) != 1 || !msgs[0].CreatedAt.Equal(sent) {
		w.t.Fatalf("%s: summary to %d: %+v", uai, to, msgs)
	}
	var listed []string
	for _, l := range strings.Split(msgs[0].Body, "\n") {
		if g, ok := strings.CutPrefix(l, "- "); ok {
			listed = append(listed, g)
		}
	}
	if strings.Join(listed, ",") != strings.Join(groups, ",") {
		w.t.Fatalf("summary lists %v, want %v", listed, groups)
	}
}

// twice runs a step again: it is already done and changes nothing.
func (w *world) twice(year sillage.SchoolYear, s rollover.Step) {
	w.t.Helper()
	before, files := dbDigest(w.t, w.st), filesDigest(w.t, w.blobDir)
	res, err := w.e.Run(w.ctx, rollover.Request{Year: year, Step: s})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Status != rollover.OutcomeAlready {
			w.t.Fatalf("step %d again: %s %s", s, o.Status, o.Message)
		}
	}
	if dbDigest(w.t, w.st) != before || filesDigest(w.t, w.blobDir) != files {
		w.t.Fatalf("running step %d twice changed something", s)
	}
}

// openZip reads an archive of the blob store.
func (w *world) openZip(sha string) map[string][]byte {
	w.t.Helper()
	f, err := w.blobs.Open(sha)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		w.t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		w.t.Fatalf("archive %s does not open: %v", sha, err)
	}
	out := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			w.t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			w.t.Fatalf("entry %s: %v", zf.Name, err)
		}
		out[zf.Name] = b
	}
	return out
}

func readCSV(t testing.TB, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// checkClassArchives opens every class archive of year and checks it holds
// what the spec says, against the database.
func (w *world) checkClassArchives(uai sillage.UAI, year sillage.SchoolYear) {
	w.t.Helper()
	ctx := w.ctx
	var archives []sillage.Archive
	w.read(func(tx *store.Tx) (err error) { archives, err = tx.Records().ListArchives(ctx, uai); return err })
	var count, lsuEst, withResults, classBirthDates int
	for _, a := range archives {
		if a.SchoolYear != year {
			continue
		}
		entries := w.openZip(a.SHA256)
		if a.DivisionCode == "" {
			lsuEst++
			if a.Name != rollover.EstablishmentArchiveName(year) || entries["lsu/LSU_"+string(uai)+".xml"] == nil {
				w.t.Fatalf("establishment LSU archive %s: %v", a.Name, keys(entries))
			}
			continue
		}
		count++
		for _, name := range []string{rollover.ReadmeName, rollover.StudentsCSV, rollover.EvaluationsCSV, rollover.CommentsCSV, rollover.EvaluationsPDF} {
			if entries[name] == nil {
				w.t.Fatalf("%s: no %s in %v", a.Name, name, keys(entries))
			}
		}
		if !bytes.HasPrefix(entries[rollover.EvaluationsPDF], []byte("%PDF-")) {
			w.t.Fatalf("%s: the PDF is not a PDF", a.Name)
		}
		students := readCSV(w.t, entries[rollover.StudentsCSV])
		results := readCSV(w.t, entries[rollover.EvaluationsCSV])
		classBirthDates += w.checkWithoutBirthDates(a.SHA256, entries)
		// Against the database: the division's students (still there in
		// year 1: the archive names them) and its evaluations' results.
		if year == N {
			fx := w.fx[uai]
			if a.DivisionCode == fx.division.Code {
				pdfs, lsu := 0, 0
				for name := range entries {
					if strings.HasPrefix(name, rollover.ReportsDir+"/") {
						pdfs++
					}
					if strings.HasPrefix(name, rollover.LSUDir+"/") {
						lsu++
					}
				}
				var members []sillage.Student
				w.read(func(tx *store.Tx) (err error) {
					members, err = tx.People().ListStudents(ctx, uai, sillage.StudentFilter{IDs: w.classIDs(uai, a.DivisionCode)})
					return err
				})
				if pdfs != len(w.activeMembers(uai)) || lsu != 1 {
					w.t.Fatalf("%s: %d report PDFs and %d LSU files, want %d and 1", a.Name, pdfs, lsu, len(w.activeMembers(uai)))
				}
				if len(students)-1 < len(members) {
					w.t.Fatalf("%s: %d students listed, %d in the division", a.Name, len(students)-1, len(members))
				}
			}
		}
		if len(results) < 1 || results[0][0] != "Date" {
			w.t.Fatalf("%s: evaluations.csv %v", a.Name, results)
		}
		withResults += len(results) - 1
		// Every result line names a student of the list.
		names := map[string]bool{}
		for _, r := range students[1:] {
			names[r[0]+" "+r[1]] = true
		}
		for _, r := range results[1:] {
			if !names[r[4]+" "+r[5]] {
				w.t.Fatalf("%s: result of %s %s who is not in the list", a.Name, r[4], r[5])
			}
		}
	}
	if count == 0 || withResults == 0 || (year == N && lsuEst != 1) {
		w.t.Fatalf("%s: %d class archives (%d result lines), %d establishment archives for %s", uai, count, withResults, lsuEst, year)
	}
	if classBirthDates == 0 {
		w.t.Fatalf("%s: no birth date in the class archives of %s: the filter is not tested", uai, year)
	}
}

// checkWithoutBirthDates checks the archive a reader who may not see
// birth dates downloads (privacy.md: teachers, directors): every birth
// date the archive holds is gone from eleves.csv and the HTML records, and
// every other entry is the same. It returns how many birth dates the
// archive held.
func (w *world) checkWithoutBirthDates(sha string, entries map[string][]byte) int {
	w.t.Helper()
	f, err := w.blobs.Open(sha)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		w.t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rollover.WithoutBirthDates(&out, f, info.Size()); err != nil {
		w.t.Fatal(err)
	}
	filtered := zipEntries(w.t, out.Bytes())
	if len(filtered) != len(entries) {
		w.t.Fatalf("filtered archive: %v, want %v", keys(filtered), keys(entries))
	}
	dates := map[string]bool{}
	if b := entries[rollover.StudentsCSV]; b != nil {
		rows := readCSV(w.t, b)
		if len(rows) == 0 || rows[0][2] != "Né(e) le" {
			w.t.Fatalf("eleves.csv header %v", rows)
		}
		for _, r := range rows[1:] {
			if r[2] != "" {
				dates[r[2]] = true
			}
		}
		got := readCSV(w.t, filtered[rollover.StudentsCSV])
		if len(got) != len(rows) {
			w.t.Fatalf("filtered eleves.csv: %d rows, want %d", len(got), len(rows))
		}
		for i, r := range got {
			want := append(append([]string{}, rows[i][:2]...), rows[i][3:]...)
			if strings.Join(r, "|") != strings.Join(want, "|") {
				w.t.Fatalf("filtered eleves.csv row %d: %v, want %v", i, r, want)
			}
		}
	}
	for name, b := range entries {
		if strings.HasSuffix(name, ".html") && !strings.Contains(name, "/") {
			if m := regexp.MustCompile(`né\(e\) le ([0-9/]+)`).FindSubmatch(b); m != nil {
				dates[string(m[1])] = true
			}
		}
	}
	for name, b := range filtered {
		if name == rollover.StudentsCSV || (strings.HasSuffix(name, ".html") && !strings.Contains(name, "/")) {
			for d := range dates {
				if bytes.Contains(b, []byte(d)) {
					w.t.Fatalf("filtered %s still holds the birth date %s", name, d)
				}
			}
			if bytes.Contains(b, []byte("né(e) le")) || bytes.Contains(b, []byte("Né(e) le")) {
				w.t.Fatalf("filtered %s still mentions a birth date", name)
			}
			continue
		}
		if !bytes.Equal(b, entries[name]) {
			w.t.Fatalf("filtered archive: %s changed", name)
		}
	}
	return len(dates)
}

func zipEntries(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("archive does not open: %v", err)
	}
	out := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("entry %s: %v", zf.Name, err)
		}
		out[zf.Name] = b
	}
	return out
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// classIDs returns the ids of the students whose division had code in year 1.
func (w *world) classIDs(uai sillage.UAI, code string) []int64 {
	var ids []int64
	w.read(func(tx *store.Tx) error {
		ss, err := tx.People().ListStudents(w.ctx, uai, sillage.StudentFilter{})
		for _, s := range ss {
			if s.DivisionCode == code {
				ids = append(ids, s.ID)
			}
		}
		return err
	})
	return ids
}

func (w *world) activeMembers(uai sillage.UAI) []sillage.Student {
	var out []sillage.Student
	w.read(func(tx *store.Tx) (err error) {
		out, err = tx.People().ListStudents(w.ctx, uai, sillage.StudentFilter{DivisionID: w.fx[uai].division.ID, ActiveOnly: true})
		return err
	})
	return out
}

// checkStudentArchives opens every student archive of year: its record
// JSON holds exactly the student's evaluations of the year, its files are
// the attachments of the year's sheets.
func (w *world) checkStudentArchives(uai sillage.UAI, year sillage.SchoolYear) {
	w.t.Helper()
	ctx := w.ctx
	var students []sillage.Student
	w.read(func(tx *store.Tx) (err error) {
		students, err = tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
		return err
	})
	found, studentBirthDates := 0, 0
	for _, s := range students {
		var docs []sillage.Document
		var recs *records.Records
		w.read(func(tx *store.Tx) (err error) {
			if docs, err = tx.Records().ListDocuments(ctx, uai, s.ID); err != nil {
				return err
			}
			recs, err = records.Load(ctx, tx, uai, []int64{s.ID})
			return err
		})
		var archive *sillage.Document
		for i, d := range docs {
			if d.Kind == sillage.DocumentArchive && d.SchoolYear == year {
				if archive != nil {
					w.t.Fatalf("student %d has two archives of %s", s.ID, year)
				}
				archive = &docs[i]
			}
		}
		wantEvals := 0
		for _, e := range recs.Students[0].Evaluations {
			if e.SchoolYear == year {
				wantEvals++
			}
		}
		if archive == nil {
			if wantEvals > 0 {
				w.t.Fatalf("student %d has %d evaluations of %s and no archive", s.ID, wantEvals, year)
			}
			continue
		}
		found++
		entries := w.openZip(archive.SHA256)
		base := rollover.StudentRecordName(year)
		for _, name := range []string{rollover.ReadmeName, base + ".html", base + ".json", rollover.StudentResultCSV} {
			if entries[name] == nil {
				w.t.Fatalf("student archive without %s: %v", name, keys(entries))
			}
		}
		var f records.File
		if err := json.Unmarshal(entries[base+".json"], &f); err != nil {
			w.t.Fatal(err)
		}
		if len(f.Students) != 1 || len(f.Students[0].Evaluations) != wantEvals {
			w.t.Fatalf("student %d: %d evaluations archived, want %d", s.ID, len(f.Students[0].Evaluations), wantEvals)
		}
		for _, sh := range f.Students[0].Sheets {
			for _, a := range sh.Files {
				if entries[a.Path] == nil {
					w.t.Fatalf("file %s missing from the archive", a.Path)
				}
			}
		}
		if !strings.Contains(string(entries[base+".html"]), "Livret de l'année "+year.String()) {
			w.t.Fatal("readable record without its title")
		}
		studentBirthDates += w.checkWithoutBirthDates(archive.SHA256, entries)
		if year == N && s.DivisionID == w.fx[uai].division.ID && s.Active() {
			pdf := 0
			for name := range entries {
				if path.Dir(name) == rollover.ReportsDir {
					pdf++
				}
			}
			if pdf != 1 {
				w.t.Fatalf("student %d: %d report PDFs in the archive", s.ID, pdf)
			}
		}
	}
	if found == 0 {
		w.t.Fatalf("%s: no student archive of %s", uai, year)
	}
	if studentBirthDates == 0 {
		w.t.Fatalf("%s: no birth date in the student archives of %s: the filter is not tested", uai, year)
	}
}

// checkTrashedSpaceRights checks the rights on the trashed class space.
func (w *world) checkTrashedSpaceRights(uai sillage.UAI) {
	w.t.Helper()
	ctx, fx := w.ctx, w.fx[uai]
	w.read(func(tx *store.Tx) error {
		sp, err := tx.Rollover().GetClassSpace(ctx, uai, fx.space)
		if err != nil {
			return err
		}
		if sp.TrashedAt.IsZero() {
			w.t.Fatal("class space not in the trash")
		}
		persons, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{ActiveOnly: true})
		if err != nil {
			return err
		}
		for _, p := range persons {
			got, err := rollover.SpaceAccess(ctx, tx, uai, sp, p)
			if err != nil {
				return err
			}
			want := rollover.RightNone
			switch {
			case p.Role == sillage.RoleAdministrator:
				want = rollover.RightManager
			case p.Role == sillage.RoleTeacher:
				want = rollover.RightReader // every teacher of the establishment
			case p.ID == fx.director:
				want = rollover.RightReader // was a manager
			}
			if got != want {
				w.t.Fatalf("%s %s on the trashed space: %s, want %s", p.Role, p.FullName(), got.Label(), want.Label())
			}
		}
		rights, err := tx.Rollover().ListClassSpaceRights(ctx, uai, sp.ID)
		for _, r := range rights {
			if r.PersonID == fx.director && r.Role != store.SpaceReader {
				w.t.Fatalf("former manager kept %s", r.Role)
			}
		}
		return err
	})
}

// checkYearNImportRefused imports establishment i's SIECLE file of year N:
// refused while the year is closed.
func (w *world) checkYearNImportRefused(i int) {
	w.t.Helper()
	f := demo.Plan(w.opts, i).SIECLE(w.clock.T)
	var buf bytes.Buffer
	if err := siecle.WriteStudents(&buf, f); err != nil {
		w.t.Fatal(err)
	}
	_, err := w.e.Importer.SIECLE(w.ctx, &buf, directory.Options{UAI: w.uais[i], FileName: "ElevesSansAdresses.xml"})
	if err == nil || !strings.Contains(sillage.Message(err), "close") {
		w.t.Fatalf("year-N import between steps 2 and 4: %v", err)
	}
}

// yearTwoWork is a little of 2026-2027: an evaluation with results in a new
// division, a class space, a trashed document.
func (w *world) yearTwoWork() {
	w.t.Helper()
	ctx := w.ctx
	for _, uai := range w.uais {
		fx := w.fx[uai]
		w.write(func(tx *store.Tx) error {
			divs, err := tx.People().ListDivisions(ctx, uai, N+1)
			if err != nil {
				return err
			}
			d := divs[0]
			members, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{DivisionID: d.ID, ActiveOnly: true})
			if err != nil || len(members) == 0 {
				w.t.Fatalf("no student in %s: %v", d.Code, err)
			}
			refs, err := tx.Records().ListReferentials(ctx, uai)
			if err != nil {
				return err
			}
			ref, err := tx.Records().GetReferential(ctx, uai, refs[0].ID)
			if err != nil {
				return err
			}
			ev := sillage.Evaluation{Title: "Évaluation de mars", Date: sillage.NewDate(2027, time.March, 2), ReferentialID: ref.ID, AuthorID: fx.teacher2, DivisionID: d.ID}
			if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
				return err
			}
			for _, m := range members {
				if err := tx.Records().SetResult(ctx, uai, sillage.Result{EvaluationID: ev.ID, StudentID: m.ID, CompetenceID: ref.Competences[0].ID, Value: "3"}); err != nil {
					return err
				}
			}
			if _, err := tx.Rollover().CreateClassSpace(ctx, uai, d.ID); err != nil {
				return err
			}
			ref2 := w.put("%PDF-1.4 " + strconv.Itoa(int(d.ID)))
			doc := sillage.Document{StudentID: members[0].ID, Kind: sillage.DocumentFile, Name: "vieux.pdf", SHA256: ref2.SHA256, Size: ref2.Size,
				ContentType: "application/pdf", SchoolYear: N + 1}
			if err := tx.Records().AddDocument(ctx, uai, &doc); err != nil {
				return err
			}
			return tx.Records().TrashDocument(ctx, uai, doc.ID, members[0].ID)
		})
	}
}
