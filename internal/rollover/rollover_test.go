package rollover_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestDefaultCalendar(t *testing.T) {
	c := rollover.DefaultCalendar(2025)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		got  sillage.Date
		want sillage.Date
	}{
		{"step 1 from mid-July", c.Step(rollover.StepPurge).From, sillage.NewDate(2026, time.July, 15)},
		{"step 3 after steps 1 and 2", c.Step(rollover.StepCleanup).From, sillage.NewDate(2026, time.July, 17)},
		{"step 4 in the last fortnight of August", c.Step(rollover.StepDirectory).From, sillage.NewDate(2026, time.August, 17)},
		{"step 4 ends with August", c.Step(rollover.StepDirectory).To, sillage.NewDate(2026, time.August, 31)},
		{"first day of term, a weekday", c.TermStart, sillage.NewDate(2026, time.September, 1)},
		{"step 5 before term", c.Step(rollover.StepPeriods).To, sillage.NewDate(2026, time.August, 31)},
		{"group warning on 30 June", c.GroupWarning, sillage.NewDate(2026, time.June, 30)},
		{"blocking from step 4", c.Blocking.From, c.Step(rollover.StepDirectory).From},
		{"blocking until the eve of term", c.Blocking.Until, sillage.NewDate(2026, time.August, 31)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if !c.Blocking.Blocks(sillage.RoleStudent) || !c.Blocking.Blocks(sillage.RoleParent) || c.Blocking.Blocks(sillage.RoleTeacher) {
		t.Errorf("blocked profiles: %v", c.Blocking.Roles)
	}
	// 2027: 1 September is a Wednesday; 2029: a Saturday, term on Monday 3.
	if d := rollover.DefaultCalendar(2028).TermStart; d != sillage.NewDate(2029, time.September, 3) {
		t.Errorf("term of 2029: %s", d)
	}
}

func TestCalendarValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(c *rollover.Calendar)
		want string
	}{
		{"steps out of order", func(c *rollover.Calendar) { c.Steps[2].From = sillage.NewDate(2026, time.July, 1) }, "ne peut pas commencer avant"},
		{"trash warning after step 1", func(c *rollover.Calendar) { c.TrashWarning = sillage.NewDate(2026, time.July, 20) }, "corbeille"},
		{"group warning after step 3", func(c *rollover.Calendar) { c.GroupWarning = sillage.NewDate(2026, time.July, 20) }, "gestionnaires"},
		{"reminder before the warning", func(c *rollover.Calendar) { c.GroupReminder = sillage.NewDate(2026, time.June, 1) }, "rappel"},
		{"term before step 4", func(c *rollover.Calendar) { c.TermStart = sillage.NewDate(2026, time.August, 1) }, "rentrée"},
		{"blocking reversed", func(c *rollover.Calendar) { c.Blocking.Until = sillage.NewDate(2026, time.August, 1) }, "blocage"},
		{"administrators blocked", func(c *rollover.Calendar) { c.Blocking.Roles = append(c.Blocking.Roles, sillage.RoleAdministrator) }, "administrateurs"},
		{"blocking beyond the limits", func(c *rollover.Calendar) { c.Blocking.Until = sillage.NewDate(2026, time.October, 1) }, "limites"},
		{"no message", func(c *rollover.Calendar) { c.Blocking.Message = " " }, "message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := rollover.DefaultCalendar(2025)
			tc.mod(&c)
			err := c.Validate()
			if err == nil || sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), tc.want) {
				t.Fatalf("got %v, want an invalid calendar about %q", err, tc.want)
			}
		})
	}
}

func TestProposePeriods(t *testing.T) {
	term := sillage.NewDate(2026, time.September, 1)
	tri := rollover.ProposePeriods(2026, sillage.Trimester, term)
	want := [][2]sillage.Date{
		{term, sillage.NewDate(2026, time.December, 18)},
		{sillage.NewDate(2026, time.December, 19), sillage.NewDate(2027, time.March, 31)},
		{sillage.NewDate(2027, time.April, 1), sillage.NewDate(2027, time.July, 3)},
	}
	if len(tri) != 3 {
		t.Fatalf("%d trimesters", len(tri))
	}
	for i, p := range tri {
		if p.Start != want[i][0] || p.End != want[i][1] || p.Index != i+1 || p.SchoolYear != 2026 {
			t.Errorf("trimester %d: %s–%s, want %s–%s", i+1, p.Start, p.End, want[i][0], want[i][1])
		}
	}
	sem := rollover.ProposePeriods(2026, sillage.Semester, term)
	if len(sem) != 2 || sem[0].End != sillage.NewDate(2027, time.January, 31) || sem[1].Start != sillage.NewDate(2027, time.February, 1) {
		t.Errorf("semesters: %+v", sem)
	}
}

func TestParseWindow(t *testing.T) {
	w, err := rollover.ParseWindow("2026-09-01..2026-12-18")
	if err != nil || w.From != sillage.NewDate(2026, 9, 1) || w.To != sillage.NewDate(2026, 12, 18) {
		t.Fatalf("%+v %v", w, err)
	}
	for _, bad := range []string{"", "2026-12-18..2026-09-01", "demain", "2026-09-01..x"} {
		if _, err := rollover.ParseWindow(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestOrder: every step refuses to run before its predecessor is done for
// the same establishment, and says which; another establishment's progress
// does not count.
func TestOrder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 2, 40)
		a, b := w.uais[0], w.uais[1]
		clock.T = at(N, time.July, 15, 8)
		for _, s := range rollover.Steps[1:] {
			o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: s}, a)
			if o.Status != rollover.OutcomeRefused || !strings.Contains(o.Message, "l'étape "+string(rune('0'+s-1))) || !strings.Contains(o.Message, "non commencée") {
				t.Fatalf("step %d first: %+v", s, o)
			}
			if sillage.KindOf(o.Err) != sillage.KindConflict {
				t.Fatalf("refusal of kind %v", sillage.KindOf(o.Err))
			}
		}
		// Step 1 for A only: step 2 runs for A and is refused for B.
		w.run(N, rollover.StepPurge, func(r *rollover.Request) { r.UAIs = []sillage.UAI{a} })
		res, err := w.e.Run(w.ctx, rollover.Request{Year: N, Step: rollover.StepArchive})
		if err != nil {
			t.Fatal(err)
		}
		got := map[sillage.UAI]string{}
		for _, o := range res.Outcomes {
			got[o.UAI] = o.Status
		}
		if got[a] != rollover.OutcomeDone || got[b] != rollover.OutcomeRefused || !res.Failed() {
			t.Fatalf("outcomes %v", got)
		}
		// Step 3 refused for A while step 2 failed: the failure is named.
		w.e.Failpoint = func(p string) error {
			if p == "step3.groups" {
				return errInjected
			}
			return nil
		}
		if o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepCleanup}, a); o.Status != rollover.OutcomeFailed {
			t.Fatalf("step 3 with a failure: %+v", o)
		}
		w.e.Failpoint = nil
		if o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepDirectory}, a); o.Status != rollover.OutcomeRefused || !strings.Contains(o.Message, "en échec") {
			t.Fatalf("step 4 after a failed step 3: %+v", o)
		}
	})
}

// TestPeriodBeforeTermRefused: step 5 refuses a period starting before the
// first day of term (LSU would reject the students), and accepts periods
// by hand that respect it.
func TestPeriodBeforeTermRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		uai := w.uais[0]
		w.changeoverUpTo(rollover.StepDirectory)
		clock.T = at(N, time.August, 25, 8)
		bad := &rollover.PeriodsChoice{Kind: sillage.Semester, TermStart: sillage.NewDate(2026, time.September, 2), Dates: []rollover.Window{
			{From: sillage.NewDate(2026, time.August, 31), To: sillage.NewDate(2027, time.January, 31)},
			{From: sillage.NewDate(2027, time.February, 1), To: sillage.NewDate(2027, time.July, 3)}}}
		o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepPeriods, Periods: bad}, uai)
		if o.Status != rollover.OutcomeFailed || !strings.Contains(o.Message, "avant la rentrée") || !strings.Contains(o.Message, "LSU") {
			t.Fatalf("period before term: %+v", o)
		}
		w.read(func(tx *store.Tx) error {
			if ps, _ := tx.Periods().ListPeriods(w.ctx, uai, N+1); len(ps) != 0 {
				t.Fatalf("periods written: %+v", ps)
			}
			return nil
		})
		good := *bad
		good.Dates = append([]rollover.Window(nil), bad.Dates...)
		good.Dates[0].From = sillage.NewDate(2026, time.September, 2)
		if o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepPeriods, Periods: &good}, uai); o.Status != rollover.OutcomeDone {
			t.Fatalf("periods by hand: %+v", o)
		}
		w.read(func(tx *store.Tx) error {
			ps, _ := tx.Periods().ListPeriods(w.ctx, uai, N+1)
			if len(ps) != 2 || ps[0].Kind != sillage.Semester || ps[0].Start != sillage.NewDate(2026, time.September, 2) {
				t.Fatalf("periods: %+v", ps)
			}
			return nil
		})
	})
}

// TestPeriodsStepKeepsThePeriodRules: step 5 creates the periods through
// the store's checks, those of the periods page: periods by hand that
// overlap, leave the school year or end before they start are refused
// and nothing is written.
func TestPeriodsStepKeepsThePeriodRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 30)
		uai := w.uais[0]
		w.changeoverUpTo(rollover.StepDirectory)
		clock.T = at(N, time.August, 25, 8)
		term := sillage.NewDate(2026, time.September, 2)
		for _, c := range []struct {
			name  string
			dates []rollover.Window
			want  string
		}{
			{"overlap", []rollover.Window{{From: term, To: sillage.NewDate(2027, time.February, 15)},
				{From: sillage.NewDate(2027, time.February, 1), To: sillage.NewDate(2027, time.July, 3)}}, "chevauche"},
			{"beyond the school year", []rollover.Window{{From: term, To: sillage.NewDate(2027, time.January, 31)},
				{From: sillage.NewDate(2027, time.February, 1), To: sillage.NewDate(2027, time.September, 3)}}, "tenir dans l'année scolaire"},
			{"end before start", []rollover.Window{{From: term, To: sillage.NewDate(2027, time.January, 31)},
				{From: sillage.NewDate(2027, time.July, 3), To: sillage.NewDate(2027, time.February, 1)}}, "finit avant de commencer"},
		} {
			choice := &rollover.PeriodsChoice{Kind: sillage.Semester, TermStart: term, Dates: c.dates}
			o := w.e.RunOne(w.ctx, rollover.Request{Year: N, Step: rollover.StepPeriods, Periods: choice}, uai)
			if o.Status != rollover.OutcomeFailed || !strings.Contains(o.Message, c.want) {
				t.Errorf("%s: %+v, want a failure saying %q", c.name, o, c.want)
			}
			w.read(func(tx *store.Tx) error {
				if ps, _ := tx.Periods().ListPeriods(w.ctx, uai, N+1); len(ps) != 0 {
					t.Fatalf("%s: periods written: %+v", c.name, ps)
				}
				return nil
			})
		}
	})
}

// changeoverUpTo runs the steps before last (included) on their dates.
func (w *world) changeoverUpTo(last rollover.Step) {
	w.t.Helper()
	for _, s := range rollover.Steps {
		if s > last {
			return
		}
		w.clock.T = at(N, time.July, 14+int(s), 8)
		if s == rollover.StepDirectory {
			w.clock.T = at(N, time.August, 17, 8)
			files := w.nextYearFiles(N)
			w.run(N, s, func(r *rollover.Request) { r.Files = files })
			continue
		}
		w.run(N, s)
	}
}

// TestBlockingOverride: an establishment shortens or lengthens its window
// within the operator's limits and edits its message; the operator may
// forbid it.
func TestBlockingOverride(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := t.Context()
		uai := sillage.UAI("0860012W")
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP})
		}); err != nil {
			t.Fatal(err)
		}
		cal := rollover.DefaultCalendar(N)
		blocker := rollover.NewBlocker(st)
		blocked := func(day sillage.Date, role sillage.Role) (bool, string) {
			clock.T = day.Time().Add(10 * time.Hour)
			return blocker.Blocked(ctx, uai, role)
		}
		if b, _ := blocked(sillage.NewDate(2026, 8, 16), sillage.RoleStudent); b {
			t.Fatal("blocked before the window")
		}
		b, msg := blocked(sillage.NewDate(2026, 8, 17), sillage.RoleStudent)
		if !b || !strings.Contains(msg, "indisponible du 17 août au 31 août 2026 inclus") || !strings.Contains(msg, "l'année 2026-2027") {
			t.Fatalf("blocked %v %q", b, msg)
		}
		for _, tc := range []struct {
			o    rollover.Override
			want string
		}{
			{rollover.Override{From: sillage.NewDate(2026, 8, 10), Until: sillage.NewDate(2026, 8, 31)}, "limites"},
			{rollover.Override{From: sillage.NewDate(2026, 8, 20), Until: sillage.NewDate(2026, 9, 30)}, "limites"},
			{rollover.Override{From: sillage.NewDate(2026, 8, 25), Until: sillage.NewDate(2026, 8, 20)}, "finit avant"},
			{rollover.Override{From: sillage.NewDate(2026, 8, 25)}, "premier et le dernier"},
		} {
			err := st.Write(ctx, func(tx *store.Tx) error { return rollover.SetOverride(ctx, tx, uai, cal, tc.o) })
			if err == nil || !strings.Contains(sillage.Message(err), tc.want) {
				t.Errorf("%+v: %v, want %q", tc.o, err, tc.want)
			}
		}
		// Shorter window and its own message.
		o := rollover.Override{From: sillage.NewDate(2026, 8, 24), Until: sillage.NewDate(2026, 9, 4), Message: "Fermé du {debut} au {fin} : rentrée {annee}."}
		if err := st.Write(ctx, func(tx *store.Tx) error { return rollover.SetOverride(ctx, tx, uai, cal, o) }); err != nil {
			t.Fatal(err)
		}
		blocker.Invalidate(uai)
		if b, _ := blocked(sillage.NewDate(2026, 8, 20), sillage.RoleStudent); b {
			t.Fatal("blocked before the establishment's window")
		}
		if b, msg := blocked(sillage.NewDate(2026, 9, 4), sillage.RoleParent); !b || msg != "Fermé du 24 août au 4 septembre 2026 : rentrée 2026-2027." {
			t.Fatalf("establishment's window: %v %q", b, msg)
		}
		if b, _ := blocked(sillage.NewDate(2026, 9, 5), sillage.RoleStudent); b {
			t.Fatal("blocked after the establishment's window")
		}
		// The operator forbids overrides: the operator's window applies again.
		cal.Blocking.AllowOverride = false
		if err := st.Write(ctx, func(tx *store.Tx) error { return rollover.SaveCalendar(ctx, tx, cal, "test") }); err != nil {
			t.Fatal(err)
		}
		blocker.Invalidate("")
		if b, _ := blocked(sillage.NewDate(2026, 8, 20), sillage.RoleStudent); !b {
			t.Fatal("operator's window not applied")
		}
		err := st.Write(ctx, func(tx *store.Tx) error { return rollover.SetOverride(ctx, tx, uai, cal, o) })
		if sillage.KindOf(err) != sillage.KindForbidden {
			t.Fatalf("override forbidden: %v", err)
		}
	})
}

// TestNoINEInArchivesOrTables: after a changeover, no INE of the files is
// in a table, an archive or a report.
func TestNoINEInArchivesOrTables(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 2, 40)
		w.changeoverUpTo(rollover.StepDirectory)
		var ines []string
		for i := range w.uais {
			for _, s := range demo.Plan(w.opts, i).Students {
				ines = append(ines, s.INE.Value())
			}
		}
		for _, list := range w.roster {
			for _, s := range list {
				ines = append(ines, s.IDNational.Value())
			}
		}
		rows := queryLines(t, st.SQLDB(), `SELECT report FROM rollover_steps UNION ALL SELECT body FROM messages UNION ALL SELECT details FROM audit_log UNION ALL SELECT report FROM import_reports`)
		for _, tb := range []string{"persons", "documents", "archives", "rollover_checkpoints"} {
			rows = append(rows, queryLines(t, st.SQLDB(), "SELECT * FROM "+tb)...)
		}
		text := strings.Join(rows, "\n")
		var blobs []byte
		err := filepath.Walk(w.blobDir, func(p string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			blobs = append(blobs, b...)
			// The archives' entries are compressed: read them too.
			if zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err == nil {
				for _, f := range zr.File {
					rc, err := f.Open()
					if err != nil {
						return err
					}
					c, _ := io.ReadAll(rc)
					rc.Close()
					blobs = append(blobs, c...)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, ine := range ines {
			if ine == "" {
				continue
			}
			if strings.Contains(text, ine) || bytes.Contains(blobs, []byte(ine)) {
				t.Fatalf("an INE is stored or archived")
			}
		}
		if len(ines) < 80 {
			t.Fatalf("only %d INEs checked", len(ines))
		}
	})
}
