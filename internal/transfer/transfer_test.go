package transfer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// basic builds the common case: Léa leaves A (with her record, a classmate
// staying at A) and joins B, same diploma.
type basic struct {
	w         *world
	lea, mate sillage.Student
	newLea    sillage.Student
}

func newBasic(t *testing.T, st *store.Store, clock *storetest.Clock, deactivateFirst bool) *basic {
	w := newWorld(t, st, clock)
	b := &basic{w: w}
	b.lea = w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
	b.mate = w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC)
	w.record(uaiA, b.lea, b.mate)
	if deactivateFirst {
		w.deactivate(uaiA, b.lea)
		b.newLea = w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
	} else {
		b.newLea = w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
		rep := w.run(transfer.Options{})
		if len(rep.Pending) != 1 || len(rep.Pending[0].ActiveIn) != 1 || rep.Pending[0].ActiveIn[0] != uaiA {
			t.Fatalf("before the deactivation: pending = %+v, want still active in %s", rep.Pending, uaiA)
		}
		if rep.Pending[0].Reason != "Encore actif dans un autre établissement" {
			t.Errorf("pending reason %q", rep.Pending[0].Reason)
		}
		w.deactivate(uaiA, b.lea)
	}
	return b
}

func TestTransferMovesTheRecord(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		b := newBasic(t, st, clock, true)
		w := b.w
		before := readRecord(t, st, uaiA, b.lea.ID)
		rep := w.run(transfer.Options{})
		if len(rep.Transferred) != 1 {
			t.Fatalf("transferred = %+v, want one", rep)
		}
		m := rep.Transferred[0]
		want := transfer.Counts{Evaluations: 2, Results: 8, Comments: 1, Sheets: 2, Files: 4}
		if m.Counts != want {
			t.Errorf("counts = %+v, want %+v", m.Counts, want)
		}
		if m.Manifest != transfer.Manifest(before) || len(m.Manifest) != 64 {
			t.Errorf("manifest %q, want the digest of the origin record %q", m.Manifest, transfer.Manifest(before))
		}

		// Destination: the copies, authored by "ancien établissement".
		after := readRecord(t, st, uaiB, b.newLea.ID)
		if got := transfer.Manifest(after); got != m.Manifest {
			t.Errorf("digest of what arrived %s ≠ digest of what left %s", got, m.Manifest)
		}
		err := st.Read(ctx, func(tx *store.Tx) error {
			evals, err := tx.Records().ListEvaluations(ctx, uaiB, sillage.EvaluationFilter{StudentID: b.newLea.ID})
			if err != nil {
				return err
			}
			if len(evals) != 2 {
				t.Fatalf("destination evaluations = %d, want 2", len(evals))
			}
			for _, e := range evals {
				if e.AuthorName != "Ancien établissement " && strings.TrimSpace(e.AuthorName) != "Ancien établissement" {
					t.Errorf("author %q, want the generic user", e.AuthorName)
				}
				if e.OriginUAI != uaiA || e.DivisionID != 0 || e.Diploma != diplomaMELEC {
					t.Errorf("evaluation %+v", e)
				}
				if e.ReferentialID != w.refs[uaiB].ID {
					t.Errorf("evaluation in referential %d, want B's %d", e.ReferentialID, w.refs[uaiB].ID)
				}
			}
			ref, err := tx.Records().GetReferential(ctx, uaiB, w.refs[uaiB].ID)
			if err != nil {
				return err
			}
			if len(ref.Competences) != 4 {
				t.Errorf("B's referential has %d competences, want the 2 missing ones added", len(ref.Competences))
			}
			sheets, err := tx.Records().ListSheets(ctx, uaiB, sillage.SheetFilter{StudentID: b.newLea.ID})
			if err != nil {
				return err
			}
			for _, s := range sheets {
				if s.AuthorName != "ProfA Anne" || s.AuthorID != 0 || s.OriginUAI != uaiA {
					t.Errorf("moved sheet author %q (%d), origin %s", s.AuthorName, s.AuthorID, s.OriginUAI)
				}
				full, err := tx.Records().GetSheet(ctx, uaiB, s.ID)
				if err != nil {
					return err
				}
				for _, a := range full.Attachments {
					if a.UploadedBy != b.newLea.ID {
						t.Errorf("file uploaded by %d, want the student at B %d", a.UploadedBy, b.newLea.ID)
					}
				}
			}
			// The destination student's identity and account are untouched.
			got, err := tx.People().GetStudent(ctx, uaiB, b.newLea.ID)
			if err != nil {
				return err
			}
			if got.TransferStatus != sillage.TransferTransferred || got.TransferredAt.IsZero() || got.AccountID != b.newLea.AccountID ||
				got.LastName != "Durand" || !got.Active() {
				t.Errorf("destination student %+v", got)
			}
			acc, err := tx.Accounts().GetAccount(ctx, b.newLea.AccountID)
			if err != nil || !acc.ClosedAt.IsZero() {
				t.Errorf("destination account closed: %+v %v", acc, err)
			}

			// Origin: the student is gone, the evaluations stay for the
			// classmate, the account is closed.
			if _, err := tx.People().GetStudent(ctx, uaiA, b.lea.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("origin student still there: %v", err)
			}
			mate, err := tx.Records().ListResults(ctx, uaiA, sillage.ResultFilter{StudentID: b.mate.ID})
			if err != nil {
				return err
			}
			if len(mate) != 8 {
				t.Errorf("classmate has %d results, want 8", len(mate))
			}
			if n, _ := tx.Transfer().CountIndexEntries(ctx, uaiA); n != 0 {
				t.Errorf("index entries at A: %d", n)
			}
			acc, err = tx.Accounts().GetAccount(ctx, b.lea.AccountID)
			if err != nil {
				return err
			}
			if acc.ClosedAt.IsZero() || acc.ClosedReason != sillage.ClosedTransferred {
				t.Errorf("origin account %+v, want closed as transferred", acc)
			}
			for _, side := range []struct {
				uai    sillage.UAI
				action string
			}{{uaiA, audit.TransferSent}, {uaiB, audit.TransferReceived}} {
				es, err := tx.Audit().ListAudit(ctx, side.uai, sillage.AuditFilter{Action: side.action})
				if err != nil {
					return err
				}
				if len(es) != 1 || !strings.Contains(es[0].Details, m.Manifest) {
					t.Errorf("audit %s at %s: %+v", side.action, side.uai, es)
				}
				if side.uai == uaiA && strings.Contains(es[0].Target+es[0].Details, "Durand") {
					t.Errorf("the origin's audit names the departed student: %+v", es[0])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		log, ok := w.logOf(uaiB, b.newLea.ID, uaiA, b.lea.ID)
		if !ok || !log.Done || log.Manifest != m.Manifest || log.OriginInitials != "L. D." || log.DestName != "DURAND Léa" ||
			transfer.ParseCounts(log.Counts) != want || log.OriginName != "Lycée A" {
			t.Errorf("log %+v", log)
		}

		// A second run has nothing left to do.
		rep = w.run(transfer.Options{})
		if len(rep.Transferred)+len(rep.Impossible)+len(rep.Pending) != 0 {
			t.Errorf("second run: %+v", rep)
		}
	})
}

// readRecord reads a student's record as the manifest sees it.
func readRecord(t *testing.T, st *store.Store, u sillage.UAI, id int64) sillage.TransferRecord {
	t.Helper()
	var rec sillage.TransferRecord
	err := st.Read(context.Background(), func(tx *store.Tx) (err error) {
		rec, err = tx.CrossTenant().GetTransferRecord(context.Background(), u, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestTransferIsOrderIndependent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		first := newBasic(t, st, clock, true)
		first.w.run(transfer.Options{})
		stateFirst := first.w.state()

		st2 := storetest.Open(t, st.Kind(), clock)
		clock.T = storetest.Epoch
		second := newBasic(t, st2, clock, false)
		second.w.run(transfer.Options{})
		stateSecond := second.w.state()
		if stateFirst != stateSecond {
			t.Errorf("deactivate-then-create and create-then-deactivate differ:\n%s", diffLines(stateFirst, stateSecond))
		}
		if !strings.Contains(stateFirst, "|transferred|") {
			t.Error("no transfer in the state")
		}
	})
}

func diffLines(a, b string) string {
	as, bs := map[string]bool{}, map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		as[l] = true
	}
	for _, l := range strings.Split(b, "\n") {
		bs[l] = true
	}
	var out []string
	for l := range as {
		if !bs[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range bs {
		if !as[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestTransferResultOfAnotherReferential: a result on a competence of
// another referential than its evaluation's goes to the destination's
// referential of that competence's diploma (copied when absent), in the
// batch itself, whether the batch holds many students or one.
func TestTransferResultOfAnotherReferential(t *testing.T) {
	for _, size := range []int{0, 1} {
		t.Run(fmt.Sprintf("lot-%d", size), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
				ctx := context.Background()
				w := newWorld(t, st, clock)
				lea := w.student(uaiA, "Léa", "Durand", "v1:LEA", diplomaMELEC)
				mate := w.student(uaiA, "Tom", "Martin", "v1:TOM", diplomaMELEC)
				w.record(uaiA, lea, mate)
				w.write(func(tx *store.Tx) error {
					other := sillage.Referential{Diploma: diplomaCommerce, Kind: sillage.ReferentialBacPro, Label: "Bac pro Commerce",
						Competences: []sillage.Competence{{Domain: "V", Code: "V1", Label: "Vendre"}}}
					if err := tx.Records().CreateReferential(ctx, uaiA, &other); err != nil {
						return err
					}
					evals, err := tx.Records().ListEvaluations(ctx, uaiA, sillage.EvaluationFilter{StudentID: lea.ID})
					if err != nil || len(evals) == 0 {
						return fmt.Errorf("evaluations of Léa: %d, %v", len(evals), err)
					}
					return tx.Records().SetResult(ctx, uaiA, sillage.Result{EvaluationID: evals[0].ID, StudentID: lea.ID, CompetenceID: other.Competences[0].ID, Value: "4"})
				})
				w.deactivate(uaiA, lea)
				newLea := w.arrival(uaiB, "Léa", "Durand", "v1:LEA", diplomaMELEC)
				before := readRecord(t, st, uaiA, lea.ID)
				rep := w.run(transfer.Options{BatchSize: size})
				if len(rep.Transferred) != 1 || rep.Transferred[0].Counts.Results != 9 {
					t.Fatalf("report %+v, want one transfer of 9 results", rep)
				}
				if got := transfer.Manifest(readRecord(t, st, uaiB, newLea.ID)); got != transfer.Manifest(before) {
					t.Errorf("digest of what arrived %s ≠ digest of what left %s", got, transfer.Manifest(before))
				}
				err := st.Read(ctx, func(tx *store.Tx) error {
					ref, err := tx.Records().GetReferentialByDiploma(ctx, uaiB, diplomaCommerce)
					if err != nil {
						return err
					}
					if len(ref.Competences) != 1 || ref.Competences[0].Code != "V1" {
						t.Errorf("B's copied Commerce referential %+v", ref.Competences)
					}
					rs, err := tx.Records().ListResults(ctx, uaiB, sillage.ResultFilter{StudentID: newLea.ID})
					if err != nil {
						return err
					}
					n := 0
					for _, r := range rs {
						if r.CompetenceID == ref.Competences[0].ID && r.Value == "4" {
							n++
						}
					}
					if n != 1 {
						t.Errorf("%d results on B's V1, want 1", n)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
