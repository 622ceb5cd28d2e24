package rollover_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// stateTables are the changeover's own bookkeeping and the logs: an undo
// restores the records, not these.
var stateTables = map[string]bool{"audit_log": true, "audit_heads": true, "rollover_steps": true, "rollover_checkpoints": true,
	"rollover_notices": true, "rollover_packs": true, "rollover_pack_rows": true, "rollover_pack_blobs": true, "sessions": true,
	"id_counter": true, "rollover_calendars": true, "signin_throttle": true}

// recordDigest digests every row of every table of Sillage but the
// bookkeeping ones and skip, table by table, rows sorted.
func recordDigest(t testing.TB, st *store.Store, skip ...string) string {
	t.Helper()
	db := st.SQLDB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if st.Kind() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	tables := queryLines(t, db, q)
	h := sha256.New()
	for _, tb := range tables {
		if strings.HasPrefix(tb, "river") || strings.HasPrefix(tb, "goose") || stateTables[tb] || contains(skip, tb) {
			continue
		}
		for _, l := range queryLines(t, db, "SELECT * FROM "+tb) {
			fmt.Fprintf(h, "%s:%s\n", tb, l)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// collect removes the files no row (nor pack) refers to, at once.
func (w *world) collect() {
	w.t.Helper()
	var refs map[string]bool
	w.read(func(tx *store.Tx) (err error) { refs, err = tx.CrossTenant().BlobRefs(w.ctx); return err })
	if _, err := w.blobs.Collect(w.ctx, refs, time.Now().Add(time.Hour)); err != nil {
		w.t.Fatal(err)
	}
}

// trashUniqueDoc adds a document whose file nobody else refers to and
// moves it to the trash; it returns the file's hash.
func (w *world) trashUniqueDoc(uai sillage.UAI) string {
	w.t.Helper()
	ref := w.put("%PDF-1.4 pièce unique de " + string(uai))
	w.write(func(tx *store.Tx) error {
		d := sillage.Document{StudentID: w.fx[uai].student, Kind: sillage.DocumentFile, Name: "piece.pdf", SHA256: ref.SHA256, Size: ref.Size,
			ContentType: "application/pdf", SchoolYear: N}
		if err := tx.Records().AddDocument(w.ctx, uai, &d); err != nil {
			return err
		}
		return tx.Records().TrashDocument(w.ctx, uai, d.ID, w.fx[uai].student)
	})
	return ref.SHA256
}

func (w *world) undo(s rollover.Step, uais ...sillage.UAI) *rollover.UndoResult {
	w.t.Helper()
	res, err := w.e.Undo(w.ctx, rollover.UndoRequest{Year: N, Step: s, UAIs: uais, Actor: audit.Actor{Role: "operator", Name: "op"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

// stepDate is the date each step runs on (within its window).
func stepDate(s rollover.Step) time.Time {
	return []time.Time{at(N, time.July, 15, 8), at(N, time.July, 16, 8), at(N, time.July, 17, 8), at(N, time.August, 17, 8), at(N, time.August, 25, 8)}[s-1]
}

// TestUndoRestoresEachStep: for steps 1 to 3, the records after the undo
// are those before the step, row for row, and so are the files, even when
// the collection of unreferenced files ran in between; for step 4, the
// accounts the retention deleted come back exactly. A second undo does
// nothing; each undo is audited. Each failpoint of the undo leaves the
// state after the step untouched, and the undo run again completes.
func TestUndoRestoresEachStep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		for _, s := range []rollover.Step{rollover.StepPurge, rollover.StepArchive, rollover.StepCleanup} {
			t.Run(fmt.Sprint("step", int(s)), func(t *testing.T) {
				c := &storetest.Clock{}
				st := storetest.Open(t, st.Kind(), c)
				w := newWorld(t, st, c, 1, 20)
				uai := w.uais[0]
				unique := ""
				if s == rollover.StepPurge {
					unique = w.trashUniqueDoc(uai)
				}
				w.changeoverUpTo(s - 1)
				c.T = stepDate(s)
				// Step 3 sends its summary messages: they stay sent.
				skip := []string{}
				if s == rollover.StepCleanup {
					skip = append(skip, "messages")
				}
				before, files := recordDigest(t, st, skip...), filesDigest(t, w.blobDir)
				w.run(N, s)
				w.collect()
				after, afterFiles := recordDigest(t, st, skip...), filesDigest(t, w.blobDir)
				if after == before {
					t.Fatalf("step %d changed nothing: the test lost its reach", s)
				}
				if s == rollover.StepPurge && (afterFiles != files || !w.blobs.Has(unique)) {
					t.Fatal("the files of the purged trash were collected while their pack lives")
				}
				c.Advance(time.Hour)
				// Each failpoint of the undo: nothing changes, and the undo can be run again.
				for _, point := range []string{"restore", "state", "audit", "finish"} {
					name := fmt.Sprintf("undo%d.%s", s, point)
					w.e.Failpoint = func(p string) error {
						if p == name {
							return errInjected
						}
						return nil
					}
					res := w.undo(s, uai)
					if o := res.Outcomes[0]; o.Status != rollover.UndoFailed || !errors.Is(o.Err, errInjected) {
						t.Fatalf("%s: %+v", name, o)
					}
					if got := recordDigest(t, st, skip...); got != after {
						t.Fatalf("%s: a failed undo changed the records", name)
					}
				}
				w.e.Failpoint = nil
				res := w.undo(s, uai)
				if o := res.Outcomes[0]; o.Status != rollover.UndoDone || o.Rows == 0 {
					t.Fatalf("undo: %+v", o)
				}
				w.collect()
				if got := recordDigest(t, st, skip...); got != before {
					t.Fatalf("after the undo of step %d, the records differ from before the step", s)
				}
				if got := filesDigest(t, w.blobDir); got != files {
					t.Fatalf("after the undo of step %d, the files differ from before the step", s)
				}
				// Idempotent: a second undo finds it done.
				if o := w.undo(s, uai).Outcomes[0]; o.Status != rollover.UndoAlready {
					t.Fatalf("second undo: %+v", o)
				}
				w.read(func(tx *store.Tx) error {
					st, err := tx.Rollover().GetRolloverStep(w.ctx, uai, N, int(s))
					if sillage.KindOf(err) != sillage.KindNotFound {
						t.Fatalf("step %d after its undo: %+v %v, want not started", s, st, err)
					}
					entries, err := tx.Audit().ListAudit(w.ctx, uai, sillage.AuditFilter{Action: rollover.AuditUndoAction})
					if err != nil {
						return err
					}
					if len(entries) != 1 {
						t.Fatalf("%d audit entries of the undo, want 1", len(entries))
					}
					return nil
				})
				// The step runs again after its undo, with a fresh pack (step 2
				// writes its archives again, under new numbers).
				w.run(N, s)
				if got := recordDigest(t, st, skip...); s != rollover.StepArchive && got != after {
					t.Fatalf("step %d run again after its undo: records differ from its first run", s)
				}
			})
		}
	})
}

// TestUndoRetention: step 4's undo brings back the accounts its annual
// retention deleted (the old teacher), with everything hanging from them;
// the import itself stays.
func TestUndoRetention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 20)
		uai := w.uais[0]
		old := w.fx[uai].oldTeacher
		w.changeoverUpTo(rollover.StepCleanup)
		rows := func() string {
			var lines []string
			for _, q := range []string{
				`SELECT * FROM persons WHERE id = %d`, `SELECT * FROM group_members WHERE person_id = %d`, `SELECT * FROM services WHERE teacher_id = %d`,
				`SELECT * FROM messages WHERE recipient_id = %d`, `SELECT * FROM class_space_rights WHERE person_id = %d`,
				`SELECT id, login, closed_at, closed_reason FROM accounts WHERE id IN (SELECT account_id FROM persons WHERE id = %d)`,
			} {
				lines = append(lines, queryLines(t, st.SQLDB(), fmt.Sprintf(q, old))...)
			}
			sort.Strings(lines)
			return strings.Join(lines, "\n")
		}
		before := rows()
		if !strings.Contains(before, "persons") && len(before) == 0 {
			t.Fatal("the old teacher is missing from the fixture")
		}
		clock.T = stepDate(rollover.StepDirectory)
		files := w.nextYearFiles(N)
		w.run(N, rollover.StepDirectory, func(r *rollover.Request) { r.Files = files })
		if got := rows(); got == before {
			t.Fatal("the retention did not delete the old teacher: the test lost its reach")
		}
		clock.Advance(24 * time.Hour)
		if o := w.undo(rollover.StepDirectory, uai).Outcomes[0]; o.Status != rollover.UndoDone {
			t.Fatalf("undo: %+v", o)
		}
		// The accounts table has no uai: its digest is part of rows().
		if got := rows(); got != before {
			t.Fatalf("the old teacher's rows differ after the undo:\n%s\nwant\n%s", got, before)
		}
		w.read(func(tx *store.Tx) error {
			s, err := tx.Rollover().GetRolloverStep(w.ctx, uai, N, int(rollover.StepDirectory))
			if err != nil || s.State != sillage.StepDone {
				t.Fatalf("step 4 after the undo of its retention: %+v %v, want still done", s, err)
			}
			return nil
		})
	})
}

// TestUndoRefusals: step 2 is not undone once step 3 has run; a pack past
// its days is refused, then purged by the housekeeping, and the files it
// kept are collected.
func TestUndoRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 20)
		uai := w.uais[0]
		unique := w.trashUniqueDoc(uai)
		w.changeoverUpTo(rollover.StepCleanup)
		if o := w.undo(rollover.StepArchive, uai).Outcomes[0]; o.Status != rollover.UndoRefused || !strings.Contains(o.Message, "l'étape 3") {
			t.Fatalf("undo of step 2 after step 3: %+v", o)
		}
		if o := w.undo(rollover.StepCleanup, uai).Outcomes[0]; o.Status != rollover.UndoDone {
			t.Fatalf("undo of step 3: %+v", o)
		}
		// Step 1's pack: 30 days from its run (15 July).
		var pack sillage.RolloverPack
		w.read(func(tx *store.Tx) (err error) {
			pack, err = tx.Rollover().GetRolloverPack(w.ctx, uai, N, 1)
			return err
		})
		if want := at(N, time.July, 15, 8).AddDate(0, 0, 30); !pack.ExpiresAt.Equal(want) {
			t.Fatalf("pack expires %v, want %v", pack.ExpiresAt, want)
		}
		w.collect()
		if !w.blobs.Has(unique) {
			t.Fatal("the file of a purged document was collected while its pack lives")
		}
		clock.T = pack.ExpiresAt.Add(time.Minute)
		if o := w.undo(rollover.StepPurge, uai).Outcomes[0]; o.Status != rollover.UndoRefused || !strings.Contains(o.Message, "délai d'annulation") {
			t.Fatalf("undo past the pack's days: %+v", o)
		}
		var n int
		w.write(func(tx *store.Tx) (err error) {
			n, err = tx.CrossTenant().PurgeExpiredRolloverPacks(w.ctx, tx.Now())
			return err
		})
		if n != 1 {
			t.Fatalf("%d packs purged, want step 1's (step 3's was restored and expires later)", n)
		}
		w.collect()
		if w.blobs.Has(unique) {
			t.Fatal("the file of the purged pack was kept")
		}
		if o := w.undo(rollover.StepPurge, uai).Outcomes[0]; o.Status != rollover.UndoRefused {
			t.Fatalf("undo after the purge: %+v", o)
		}
	})
}

// TestGuards: a step outside its window is refused without the explicit
// confirmation naming the step and the year; a deleting step needs the
// preview's digest, and a digest gone stale is refused with the new one.
func TestGuards(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 2, 20)
		clock.T = time.Date(2026, time.December, 6, 10, 0, 0, 0, time.UTC) // issue 13: 6 December
		p, err := w.e.Preview(w.ctx, N, rollover.StepPurge, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rows) != 2 || !p.OutOfWindow || p.Token != fmt.Sprintf("1/%d", int(N)) {
			t.Fatalf("preview %+v", p)
		}
		var trashed int64
		for _, r := range p.Rows {
			for _, c := range r.Counts {
				if c.Key == "evaluations" {
					trashed += c.N
				}
			}
		}
		if trashed == 0 {
			t.Fatal("the preview counts no trashed evaluation")
		}
		tests := []struct {
			name     string
			g        rollover.Guards
			calendar bool
			ok       bool
		}{
			{"no confirmation", rollover.Guards{Preview: p.Digest}, true, false},
			{"other step", rollover.Guards{OffCalendar: fmt.Sprintf("3/%d", int(N)), Preview: p.Digest}, true, false},
			{"other year", rollover.Guards{OffCalendar: fmt.Sprintf("1/%d", int(N)-1), Preview: p.Digest}, true, false},
			{"no preview", rollover.Guards{OffCalendar: p.Token}, false, false},
			{"stale preview", rollover.Guards{OffCalendar: p.Token, Preview: "0123456789abcdef"}, false, false},
			{"confirmed", rollover.Guards{OffCalendar: p.Token, Preview: p.Digest}, false, true},
		}
		for _, tt := range tests {
			_, err := w.e.Guard(w.ctx, N, rollover.StepPurge, nil, tt.g)
			var ge *rollover.GuardError
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s: %v", tt.name, err)
			case !tt.ok && !errors.As(err, &ge):
				t.Errorf("%s: %v, want a refusal", tt.name, err)
			case !tt.ok && (ge.Calendar != tt.calendar || ge.Preview == nil || ge.Preview.Digest != p.Digest):
				t.Errorf("%s: %+v", tt.name, ge)
			}
		}
		// The data change after the preview: the confirmation is stale.
		w.restore()
		_, err = w.e.Guard(w.ctx, N, rollover.StepPurge, nil, rollover.Guards{OffCalendar: p.Token, Preview: p.Digest})
		var ge *rollover.GuardError
		if !errors.As(err, &ge) || ge.Calendar || ge.Preview.Digest == p.Digest || !strings.Contains(ge.Msg, "ont changé") {
			t.Fatalf("stale preview: %v", err)
		}
		// In its window, step 2 (which deletes nothing) needs no preview.
		clock.T = stepDate(rollover.StepArchive)
		if _, err := w.e.Guard(w.ctx, N, rollover.StepArchive, nil, rollover.Guards{}); err != nil {
			t.Fatalf("step 2 in its window: %v", err)
		}
	})
}
