package transfer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// versions sets the unqid versions of a student, as an import holding the
// INE does after a key rotation.
func (w *world) versions(u sillage.UAI, id int64, unqids ...string) {
	w.t.Helper()
	w.write(func(tx *store.Tx) error {
		return tx.Imports().ReplacePersonUnqids(context.Background(), u, []sillage.PersonUnqids{{PersonID: id, Unqids: unqids}})
	})
}

// arrivalFrom creates a new student of u whose file names their previous
// school.
func (w *world) arrivalFrom(u sillage.UAI, first, last, unqid string, previous sillage.UAI) sillage.Student {
	w.t.Helper()
	w.seq++
	s := sillage.Student{Person: sillage.Person{FirstName: first, LastName: last, Source: sillage.SourceSIECLE, SIECLEID: fmt.Sprint(w.seq)},
		Unqid: unqid, MEF: diplomaMELEC + "310", Diploma: diplomaMELEC, DivisionID: w.div[u].ID, PreviousUAI: previous}
	w.write(func(tx *store.Tx) error { return tx.People().CreateStudent(context.Background(), u, &s) })
	return s
}

// TestMatchUnderAnyKeyVersion: after a key rotation the engine matches a
// student and an index entry under any version they share (transfer.md 2),
// in a batch and one transfer per transaction: the entry made under key 1
// for a student B knows under key 2 (and 1), and the entry made under key 2
// for a student B knows under key 1 only. While the student is still
// active at the origin, they are pending "still active" there, with the
// previous school of the file.
func TestMatchUnderAnyKeyVersion(t *testing.T) {
	for _, batch := range []int{1, transfer.DefaultBatch} {
		t.Run(fmt.Sprintf("batch-%d", batch), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
				w := newWorld(t, st, clock)
				o := transfer.Options{BatchSize: batch}
				// Léa left A before the rotation: her entry is under key 1;
				// B created her after it.
				lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
				// Tom was seen by A after the rotation (both versions), B
				// created him before it.
				tom := w.student(uaiA, "Tom", "Martin", "v2:TOM", diplomaMELEC)
				w.versions(uaiA, tom.ID, "v2:TOM", "v1:TOM")
				w.record(uaiA, lea, tom)
				w.record(uaiA, tom, lea)
				newLea := w.arrivalFrom(uaiB, "Léa", "Durand", "v2:LEA", uaiC)
				w.versions(uaiB, newLea.ID, "v2:LEA", "v1:LEA")
				newTom := w.arrival(uaiB, "Tom", "Martin", "v1:TOM", diplomaMELEC)

				rep := w.run(o)
				want := map[int64]string{
					newLea.ID: "Encore actif dans un autre établissement ; ancien établissement indiqué : " + string(uaiC),
					newTom.ID: "Encore actif dans un autre établissement",
				}
				if len(rep.Pending) != 2 {
					t.Fatalf("pending %+v, want Léa and Tom still active in A", rep.Pending)
				}
				for _, p := range rep.Pending {
					if p.Reason != want[p.StudentID] {
						t.Errorf("pending n° %d: %q, want %q", p.StudentID, p.Reason, want[p.StudentID])
					}
				}
				s, err := transfer.LoadStatus(context.Background(), st, uaiB, transfer.StatusFilter{}, sillage.Retention{})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range s.Pending {
					if p.Reason != want[p.StudentID] {
						t.Errorf("dashboard, pending n° %d: %q, want %q", p.StudentID, p.Reason, want[p.StudentID])
					}
				}

				w.deactivate(uaiA, lea) // entry under key 1
				w.deactivate(uaiA, tom) // entry under key 2
				s, err = transfer.LoadStatus(context.Background(), st, uaiB, transfer.StatusFilter{}, sillage.Retention{})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range s.Pending {
					if p.Reason != "Dossier trouvé : transfert au prochain passage" {
						t.Errorf("dashboard after the departures, pending n° %d: %q", p.StudentID, p.Reason)
					}
				}
				rep = w.run(o)
				got := map[int64]sillage.UAI{}
				for _, m := range rep.Transferred {
					got[m.DestStudentID] = m.OriginUAI
				}
				if len(rep.Transferred) != 2 || got[newLea.ID] != uaiA || got[newTom.ID] != uaiA {
					t.Fatalf("transferred %+v, pending %+v, impossible %+v: want Léa and Tom from A", rep.Transferred, rep.Pending, rep.Impossible)
				}
				if rec := readRecord(t, st, uaiB, newTom.ID); len(rec.Evaluations) != 4 {
					t.Errorf("Tom's record at B: %d evaluations, want 4 (his 2, and 2 as Léa's classmate)", len(rec.Evaluations))
				}
			})
		})
	}
}

// TestStatusWindowAppliesToPending: the dashboard's dates select the
// pending students by their arrival, and a student leaves the pending list
// for the impossible one only when the impossible line is in the window.
func TestStatusWindowAppliesToPending(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		w := newWorld(t, st, clock)
		lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.record(uaiA, lea, w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC))
		arrived := clock.T
		newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		zoe := w.arrival(uaiB, "Zoé", "Petit", "v1:ZOE", diplomaMELEC) // nothing to receive
		w.setTransfer(uaiA, false)
		w.deactivate(uaiA, lea)
		clock.Advance(10 * 24 * time.Hour)
		impossibleAt := clock.T
		if rep := w.run(transfer.Options{}); len(rep.Impossible) != 1 {
			t.Fatalf("report %+v, want one impossible transfer (origin off)", rep)
		}
		clock.Advance(24 * time.Hour)
		day := 24 * time.Hour
		for _, c := range []struct {
			name                string
			f                   transfer.StatusFilter
			pending, impossible int
		}{
			{"every date", transfer.StatusFilter{Since: arrived.Add(-day)}, 1, 1},
			{"before the impossible line", transfer.StatusFilter{Since: arrived.Add(-day), Until: impossibleAt.Add(-day)}, 2, 0},
			{"after the arrival", transfer.StatusFilter{Since: arrived.Add(day)}, 0, 1},
			{"after the arrival, before the impossible line", transfer.StatusFilter{Since: arrived.Add(day), Until: impossibleAt.Add(-day)}, 0, 0},
		} {
			s, err := transfer.LoadStatus(ctx, st, uaiB, c.f, sillage.Retention{})
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Pending) != c.pending || len(s.Impossible) != c.impossible {
				t.Errorf("%s: %d pending, %d impossible; want %d and %d", c.name, len(s.Pending), len(s.Impossible), c.pending, c.impossible)
			}
			for _, p := range s.Pending {
				if p.StudentID != zoe.ID && (p.StudentID != newLea.ID || c.pending != 2) {
					t.Errorf("%s: pending %+v", c.name, p)
				}
			}
		}
	})
}

func TestPendingReason(t *testing.T) {
	for _, c := range []struct {
		active   []sillage.UAI
		previous sillage.UAI
		want     string
	}{
		{nil, "", "Aucun dossier à recevoir pour l'instant"},
		{nil, uaiC, "Aucun dossier à recevoir pour l'instant (ancien établissement indiqué : " + string(uaiC) + ")"},
		// Another establishment is never named unless the file declared it
		// (transfer.md 5.2: no INE -> school oracle).
		{[]sillage.UAI{uaiA}, "", "Encore actif dans un autre établissement"},
		{[]sillage.UAI{uaiA, uaiD}, uaiC, "Encore actif dans un autre établissement ; ancien établissement indiqué : " + string(uaiC)},
		{[]sillage.UAI{uaiA}, uaiA, "Encore actif dans " + string(uaiA) + " (ancien établissement indiqué)"},
		{[]sillage.UAI{uaiD, uaiA}, uaiA, "Encore actif dans " + string(uaiA) + " (ancien établissement indiqué) et dans un autre établissement"},
	} {
		if got := transfer.PendingReason(c.active, c.previous); got != c.want {
			t.Errorf("PendingReason(%v, %q) = %q, want %q", c.active, c.previous, got, c.want)
		}
	}
}

// TestPendingNoSchoolOracle: importing a file with someone's INE does not
// tell the importing establishment where that student is enrolled; the
// establishment is named only when the file itself declared it as the
// previous one (transfer.md 5.2), in the run's report and on the
// dashboard, even when the student is active in several establishments.
func TestPendingNoSchoolOracle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock)
		// Léa is active in A and in D (a double enrolment); Tom in D only.
		w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.student(uaiD, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		w.student(uaiD, "Tom", "Martin", "v1:TOM", diplomaMELEC)
		declared := w.arrivalFrom(uaiB, "Léa", "Durand", "v1:LEA", uaiD)     // the file says D
		probe := w.arrivalFrom(uaiC, "Tom", "Martin", "v1:TOM", "")          // no previous school: a probe
		elsewhere := w.arrivalFrom(uaiC, "Léa", "Durand", "v1:LEA", uaiN(9)) // not active there
		want := map[int64]string{
			declared.ID:  "Encore actif dans " + string(uaiD) + " (ancien établissement indiqué)",
			probe.ID:     "Encore actif dans un autre établissement",
			elsewhere.ID: "Encore actif dans un autre établissement ; ancien établissement indiqué : " + string(uaiN(9)),
		}
		rep := w.run(transfer.Options{})
		runWant := map[int64]string{
			declared.ID:  "Encore actif dans " + string(uaiD) + " (ancien établissement indiqué) et dans un autre établissement",
			probe.ID:     want[probe.ID],
			elsewhere.ID: want[elsewhere.ID],
		}
		if len(rep.Pending) != 3 {
			t.Fatalf("pending %+v, want 3", rep.Pending)
		}
		for _, p := range rep.Pending {
			if p.Reason != runWant[p.StudentID] {
				t.Errorf("run, pending n° %d: %q, want %q", p.StudentID, p.Reason, runWant[p.StudentID])
			}
		}
		for _, u := range []sillage.UAI{uaiB, uaiC} {
			s, err := transfer.LoadStatus(context.Background(), st, u, transfer.StatusFilter{}, sillage.Retention{})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range s.Pending {
				if p.Reason != want[p.StudentID] {
					t.Errorf("dashboard of %s, pending n° %d: %q, want %q", u, p.StudentID, p.Reason, want[p.StudentID])
				}
			}
			var csv strings.Builder
			if err := transfer.WriteCSV(&csv, s, "en-attente"); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(csv.String(), string(uaiA)) || (u == uaiC && (strings.Contains(csv.String(), string(uaiD)) || strings.Contains(csv.String(), string(uaiB)))) {
				t.Errorf("the CSV of %s names an establishment the file did not declare:\n%s", u, csv.String())
			}
		}
	})
}
