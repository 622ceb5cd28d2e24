package transfer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

func TestDiplomaChanged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		mate := w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC)
		w.record(uaiA, lea, mate)
		w.deactivate(uaiA, lea)
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaCommerce)
		rep := w.run(transfer.Options{})
		if len(rep.Impossible) != 1 || rep.Impossible[0].Reason != transfer.ReasonDiplomaChanged || !rep.Impossible[0].Final || len(rep.Transferred) != 0 {
			t.Fatalf("report %+v", rep)
		}
		got, _ := w.studentRow(uaiB, newLea.ID)
		if got.TransferStatus != sillage.TransferDiplomaChanged {
			t.Errorf("status %s, want diploma_changed", got.TransferStatus)
		}
		log, ok := w.logOf(uaiB, newLea.ID, uaiA, lea.ID)
		if !ok || log.Done || !log.Final || log.Reason != string(transfer.ReasonDiplomaChanged) {
			t.Errorf("log %+v", log)
		}
		if _, ok := w.studentRow(uaiA, lea.ID); !ok {
			t.Error("the origin record was deleted although nothing moved")
		}
		// Final: the next run does not look at the student again.
		rep = w.run(transfer.Options{})
		if len(rep.Impossible)+len(rep.Transferred)+len(rep.Pending) != 0 {
			t.Errorf("second run %+v", rep)
		}
	})
}

func TestOriginOffThenOn(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		b := newBasic(t, st, clock, true)
		w := b.w
		w.setTransfer(uaiA, false)
		rep := w.run(transfer.Options{})
		if len(rep.Impossible) != 1 || rep.Impossible[0].Reason != transfer.ReasonOriginDisabled || rep.Impossible[0].Final {
			t.Fatalf("report %+v", rep)
		}
		log, _ := w.logOf(uaiB, b.newLea.ID, uaiA, b.lea.ID)
		if log.Done || log.Final || log.Reason != string(transfer.ReasonOriginDisabled) {
			t.Errorf("log %+v", log)
		}
		firstAt := log.At
		// Retried at every run, the line keeps the date it became impossible.
		clock.Advance(24 * time.Hour)
		rep = w.run(transfer.Options{})
		if len(rep.Impossible) != 1 {
			t.Fatalf("retry: %+v", rep)
		}
		if log, _ := w.logOf(uaiB, b.newLea.ID, uaiA, b.lea.ID); !log.At.Equal(firstAt) {
			t.Errorf("unchanged line rewritten: %v then %v", firstAt, log.At)
		}
		// The origin turns transfers on within the window: done.
		clock.Advance(30 * 24 * time.Hour)
		w.setTransfer(uaiA, true)
		rep = w.run(transfer.Options{})
		if len(rep.Transferred) != 1 || len(rep.Impossible) != 0 {
			t.Fatalf("after enabling: %+v", rep)
		}
		log, _ = w.logOf(uaiB, b.newLea.ID, uaiA, b.lea.ID)
		if !log.Done || log.Reason != "" || log.Manifest == "" || !log.At.Equal(clock.T) {
			t.Errorf("log after the transfer %+v", log)
		}
	})
}

func TestDestinationOff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		w.deactivate(uaiA, lea)
		newLea := w.arrival(uaiD, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		rep := w.run(transfer.Options{})
		if len(rep.Impossible) != 1 || rep.Impossible[0].Reason != transfer.ReasonDestDisabled || rep.Impossible[0].Final {
			t.Fatalf("report %+v", rep)
		}
		// Both establishments see it.
		for _, side := range []struct {
			uai sillage.UAI
			s   sillage.TransferSide
		}{{uaiD, sillage.TransferIncoming}, {uaiA, sillage.TransferOutgoing}} {
			var lines []sillage.TransferLogEntry
			err := st.Read(context.Background(), func(tx *store.Tx) (err error) {
				lines, err = tx.Transfer().ListTransferLog(context.Background(), side.uai, sillage.TransferLogFilter{Side: side.s})
				return err
			})
			if err != nil || len(lines) != 1 || lines[0].Done || lines[0].DestStudentID != newLea.ID {
				t.Errorf("%s sees %+v (%v)", side.uai, lines, err)
			}
		}
		if _, ok := w.studentRow(uaiA, lea.ID); !ok {
			t.Error("origin record deleted")
		}
	})
}

func TestOriginDataExpiredThenPurged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		w.deactivate(uaiA, lea)
		clock.T = clock.T.AddDate(0, 6, 2)
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		rep := w.run(transfer.Options{})
		if len(rep.Impossible) != 1 || rep.Impossible[0].Reason != transfer.ReasonOriginExpired || !rep.Impossible[0].Final {
			t.Fatalf("report %+v", rep)
		}
		if log, _ := w.logOf(uaiB, newLea.ID, uaiA, lea.ID); !log.Final || log.Done {
			t.Errorf("log %+v", log)
		}
		prep, err := transfer.Purge(context.Background(), st, transfer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if prep.Students != 1 || prep.Accounts != 1 || prep.IndexEntries != 1 {
			t.Errorf("purge %+v", prep)
		}
		if _, ok := w.studentRow(uaiA, lea.ID); ok {
			t.Error("expired student not purged")
		}
		var acc sillage.Account
		w.st.Read(context.Background(), func(tx *store.Tx) (err error) {
			acc, err = tx.Accounts().GetAccount(context.Background(), lea.AccountID)
			return err
		})
		if acc.ClosedReason != sillage.ClosedPurged {
			t.Errorf("account %+v, want closed as purged", acc)
		}
		// The destination student is pending now: no entry any more.
		rep = w.run(transfer.Options{})
		if len(rep.Pending) != 1 || rep.Pending[0].StudentID != newLea.ID {
			t.Errorf("after the purge: %+v", rep)
		}
	})
}

func TestReturnToOriginBeforeTransfer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.deactivate(uaiA, lea)
		w.reactivate(uaiA, lea) // she came back before any run
		before := readRecord(t, st, uaiA, lea.ID)
		rep := w.run(transfer.Options{})
		if len(rep.Transferred) != 0 || len(rep.Pending) != 1 || rep.Pending[0].StudentID != newLea.ID ||
			len(rep.Pending[0].ActiveIn) != 1 || rep.Pending[0].ActiveIn[0] != uaiA {
			t.Fatalf("report %+v", rep)
		}
		if after := readRecord(t, st, uaiA, lea.ID); transfer.Manifest(after) != transfer.Manifest(before) {
			t.Error("the returning student's record changed")
		}
	})
}

func TestStudentWithoutINE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		w.deactivate(uaiA, lea)
		w.arrival(uaiB, "Léa", "Durand", "", diplomaMELEC)
		var n int
		w.st.Read(context.Background(), func(tx *store.Tx) (err error) {
			n, err = tx.Transfer().CountIndexEntries(context.Background(), uaiA)
			return err
		})
		if n != 0 {
			t.Errorf("a student without INE entered the index")
		}
		rep := w.run(transfer.Options{})
		if !rep.Empty() || len(rep.Pending) != 0 {
			t.Errorf("report %+v, want nothing: no unqid, no transfer", rep)
		}
		if _, ok := w.studentRow(uaiA, lea.ID); !ok {
			t.Error("record without INE deleted")
		}
	})
}

func TestSameINEInTwoEstablishments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		// The same INE, active at A (an error of the files, or a student in
		// two places) and deactivated at C: only C is an origin.
		atA := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		atC := w.student(uaiC, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		mateA := w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC)
		w.record(uaiA, atA, mateA)
		w.refs[uaiC] = w.refs[uaiA]
		w.write(func(tx *store.Tx) error {
			ref := sillage.Referential{Diploma: diplomaMELEC, Label: "MELEC C", Competences: []sillage.Competence{{Code: "C1.1", Label: "Analyser"}}}
			if err := tx.Records().CreateReferential(context.Background(), uaiC, &ref); err != nil {
				return err
			}
			w.refs[uaiC] = ref
			return nil
		})
		w.record(uaiC, atC, w.student(uaiC, "Zoé", "Petit", "v1:ZOE", diplomaMELEC))
		w.deactivate(uaiC, atC)
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		rep := w.run(transfer.Options{})
		if len(rep.Transferred) != 1 || rep.Transferred[0].OriginUAI != uaiC || rep.Transferred[0].DestStudentID != newLea.ID {
			t.Fatalf("report %+v", rep)
		}
		if _, ok := w.studentRow(uaiA, atA.ID); !ok {
			t.Error("the active student at A was touched")
		}
		if rec := readRecord(t, st, uaiA, atA.ID); len(rec.Evaluations) != 2 {
			t.Errorf("A's record: %d evaluations, want 2", len(rec.Evaluations))
		}
	})
}

func TestMovesTwice(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		b := newBasic(t, st, clock, true)
		w := b.w
		first := w.run(transfer.Options{})
		if len(first.Transferred) != 1 {
			t.Fatalf("A → B: %+v", first)
		}
		clock.Advance(40 * 24 * time.Hour)
		atB, _ := w.studentRow(uaiB, b.newLea.ID)
		w.deactivate(uaiB, atB)
		atC := w.arrival(uaiC, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		second := w.run(transfer.Options{})
		if len(second.Transferred) != 1 || second.Transferred[0].OriginUAI != uaiB || second.Transferred[0].DestStudentID != atC.ID {
			t.Fatalf("B → C: %+v", second)
		}
		// Content unchanged by two moves: same counts, same digest.
		if second.Transferred[0].Manifest != first.Transferred[0].Manifest || second.Transferred[0].Counts != first.Transferred[0].Counts {
			t.Errorf("A → B %+v, B → C %+v", first.Transferred[0], second.Transferred[0])
		}
		ctx := context.Background()
		err := st.Read(ctx, func(tx *store.Tx) error {
			evals, err := tx.Records().ListEvaluations(ctx, uaiC, sillage.EvaluationFilter{StudentID: atC.ID})
			if err != nil {
				return err
			}
			for _, e := range evals {
				if e.OriginUAI != uaiA {
					t.Errorf("origin %s, want the first establishment %s", e.OriginUAI, uaiA)
				}
			}
			// C had no referential: copied from B's (with the competences the
			// first transfer added).
			ref, err := tx.Records().GetReferentialByDiploma(ctx, uaiC, diplomaMELEC)
			if err != nil {
				return err
			}
			if len(ref.Competences) != 4 {
				t.Errorf("C's copied referential has %d competences", len(ref.Competences))
			}
			sheets, err := tx.Records().ListSheets(ctx, uaiC, sillage.SheetFilter{StudentID: atC.ID})
			if err != nil {
				return err
			}
			if len(sheets) != 2 || sheets[0].AuthorName != "ProfA Anne" {
				t.Errorf("sheets at C: %+v", sheets)
			}
			if n, _ := tx.Transfer().CountIndexEntries(ctx, uaiB); n != 0 {
				t.Errorf("B's entry left in the index")
			}
			evalsB, err := tx.Records().ListEvaluations(ctx, uaiB, sillage.EvaluationFilter{})
			if err != nil {
				return err
			}
			// The copies at B stay (empty): evaluations stay where they are.
			for _, e := range evalsB {
				if rs, _ := tx.Records().ListResults(ctx, uaiB, sillage.ResultFilter{EvaluationID: e.ID}); len(rs) != 0 && e.OriginUAI == uaiA {
					t.Errorf("B's copy %q still has results", e.Title)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTimeRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		start := clock.T
		arrived := w.arrival(uaiB, "Léo", "Bernard", "v1:LEO", diplomaMELEC)
		left := w.student(uaiA, "Eva", "Moreau", "v1:EVA", diplomaMELEC)
		w.deactivate(uaiA, left)

		// Five months and a half: still new, not purged.
		clock.T = start.AddDate(0, 5, 15)
		rep := w.run(transfer.Options{})
		if len(rep.Settled) != 0 || len(rep.Pending) != 1 {
			t.Fatalf("at 5½ months: %+v", rep)
		}
		prep, err := transfer.Purge(context.Background(), st, transfer.Options{})
		if err != nil || prep.Students != 0 {
			t.Fatalf("purge at 5½ months: %+v %v", prep, err)
		}
		// Six months and a day: settled, and purged.
		clock.T = start.AddDate(0, 6, 1)
		rep = w.run(transfer.Options{})
		if len(rep.Settled) != 1 || rep.Settled[0].StudentID != arrived.ID {
			t.Fatalf("at 6 months: %+v", rep)
		}
		if s, _ := w.studentRow(uaiB, arrived.ID); s.TransferStatus != sillage.TransferSettled {
			t.Errorf("status %s", s.TransferStatus)
		}
		prep, err = transfer.Purge(context.Background(), st, transfer.Options{})
		if err != nil || prep.Students != 1 {
			t.Fatalf("purge at 6 months: %+v %v", prep, err)
		}
		var entries []sillage.AuditEntry
		st.Read(context.Background(), func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(context.Background(), uaiA, sillage.AuditFilter{Action: "purge"})
			return err
		})
		if len(entries) != 1 || !strings.Contains(entries[0].Details, "1 élève(s)") || strings.Contains(entries[0].Details+entries[0].Target, "Moreau") {
			t.Errorf("purge audit %+v: a count, never a name", entries)
		}
		// Departed access: three months after deactivation.
		ret := sillage.DefaultRetention()
		if end := ret.DepartedAccessEnds(start); !end.Equal(start.AddDate(0, 3, 0)) {
			t.Errorf("access ends %v", end)
		}
	})
}

func TestDryRunChangesNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		b := newBasic(t, st, clock, true)
		w := b.w
		old := w.arrival(uaiC, "Ana", "Roux", "v1:ANA", diplomaMELEC)
		w.write(func(tx *store.Tx) error {
			_, err := tx.CrossTenant().SettleNewStudents(context.Background(), clock.T.Add(time.Hour)) // settle everyone…
			return err
		})
		w.write(func(tx *store.Tx) error { // …then make Léa at B new again
			return tx.People().SetTransferStatus(context.Background(), uaiB, b.newLea.ID, sillage.TransferNew)
		})
		w.write(func(tx *store.Tx) error {
			return tx.People().SetTransferStatus(context.Background(), uaiC, old.ID, sillage.TransferNew)
		})
		clock.T = clock.T.AddDate(0, 0, 1)
		lost := w.student(uaiA, "Max", "Blanc", "v1:MAX", diplomaMELEC)
		w.deactivate(uaiA, lost)
		w.arrival(uaiB, "Max", "Blanc", "v1:MAX", diplomaCommerce)
		before := w.state()
		rep := w.run(transfer.Options{DryRun: true})
		if after := w.state(); after != before {
			t.Fatalf("dry run changed the database:\n%s", diffLines(before, after))
		}
		if !rep.DryRun || len(rep.Transferred) != 1 || len(rep.Impossible) != 1 || rep.Transferred[0].Manifest == "" {
			t.Errorf("dry report %+v", rep)
		}
		real := w.run(transfer.Options{})
		if real.Transferred[0].Manifest != rep.Transferred[0].Manifest || real.Transferred[0].Counts != rep.Transferred[0].Counts {
			t.Errorf("dry %+v, real %+v", rep.Transferred[0], real.Transferred[0])
		}
		before = w.state()
		clock.T = clock.T.AddDate(0, 7, 0)
		prep, err := transfer.Purge(context.Background(), st, transfer.Options{DryRun: true})
		if err != nil || prep.Students == 0 {
			t.Fatalf("dry purge %+v %v", prep, err)
		}
		if after := w.state(); after != before {
			t.Fatalf("dry purge changed the database:\n%s", diffLines(before, after))
		}
	})
}

// TestTransferLogKeptAsLongAsTheAuditLog: the weekly purge deletes the
// lines of the follow-up that last changed before the audit log's
// retention, counts them in the instance's audit log, and keeps the
// recent ones; its dry run counts without deleting.
func TestTransferLogKeptAsLongAsTheAuditLog(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.deactivate(uaiA, lea)
		if rep := w.run(transfer.Options{}); len(rep.Transferred) != 1 {
			t.Fatalf("first transfer: %+v", rep)
		}
		// Fourteen months later, another student moves.
		clock.T = clock.T.AddDate(0, 14, 0)
		max := w.student(uaiA, "Max", "Petit", "v1:MAX", diplomaMELEC)
		w.record(uaiA, max, w.student(uaiA, "Noé", "Roux", "v1:NOE", diplomaMELEC))
		newMax := w.arrival(uaiB, "Max", "Petit", "v1:MAX", diplomaMELEC)
		w.deactivate(uaiA, max)
		if rep := w.run(transfer.Options{}); len(rep.Transferred) != 1 {
			t.Fatalf("second transfer: %+v", rep)
		}

		dry, err := transfer.Purge(ctx, st, transfer.Options{DryRun: true})
		if err != nil || dry.LogLines != 1 {
			t.Fatalf("dry run: %+v, %v; want 1 line to delete", dry, err)
		}
		if _, ok := w.logOf(uaiB, newLea.ID, uaiA, lea.ID); !ok {
			t.Fatal("the dry run deleted a line")
		}
		rep, err := transfer.Purge(ctx, st, transfer.Options{})
		if err != nil || rep.LogLines != 1 {
			t.Fatalf("purge: %+v, %v; want 1 line deleted", rep, err)
		}
		if _, ok := w.logOf(uaiB, newLea.ID, uaiA, lea.ID); ok {
			t.Error("the line of fourteen months ago is still there")
		}
		if _, ok := w.logOf(uaiB, newMax.ID, uaiA, max.ID); !ok {
			t.Error("the recent line was deleted")
		}
		var entries []sillage.AuditEntry
		st.Read(ctx, func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(ctx, "", sillage.AuditFilter{Action: audit.Purge})
			return err
		})
		if len(entries) != 1 || !strings.Contains(entries[0].Details, "1 ligne(s) du suivi des transferts") || strings.Contains(entries[0].Details, "Durand") {
			t.Errorf("instance audit: %+v", entries)
		}
		if again, err := transfer.Purge(ctx, st, transfer.Options{}); err != nil || again.LogLines != 0 {
			t.Errorf("second purge: %+v, %v; want nothing left", again, err)
		}
	})
}
