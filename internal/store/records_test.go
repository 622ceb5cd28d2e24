package store_test

import (
	"context"
	"database/sql"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestStudentRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		var got sillage.Student
		err := st.Read(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.People().GetStudent(ctx, a.uai, a.student.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := a.student
		want.DivisionCode = "1SN"
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
		if got.TransferStatus != sillage.TransferNew || !got.EnteredAt.Equal(clock.T) {
			t.Errorf("new student: status %q entered %v", got.TransferStatus, got.EnteredAt)
		}

		// Deactivate later, then list by activity.
		clock.Advance(48 * time.Hour)
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.People().SetPersonActive(ctx, a.uai, a.student.ID, false) }); err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			s, err := tx.People().GetStudent(ctx, a.uai, a.student.ID)
			if err != nil {
				return err
			}
			if !s.DeactivatedAt.Equal(clock.T) || s.Active() {
				t.Errorf("deactivated_at = %v, want %v", s.DeactivatedAt, clock.T)
			}
			active, err := tx.People().ListStudents(ctx, a.uai, sillage.StudentFilter{ActiveOnly: true})
			if err != nil {
				return err
			}
			inactive, err := tx.People().ListStudents(ctx, a.uai, sillage.StudentFilter{InactiveOnly: true})
			if err != nil {
				return err
			}
			if len(active) != 0 || len(inactive) != 1 {
				t.Errorf("active %d inactive %d, want 0 and 1", len(active), len(inactive))
			}
			bySIECLE, err := tx.People().GetStudentBySIECLEID(ctx, a.uai, "E123")
			if err != nil || bySIECLE.ID != a.student.ID {
				t.Errorf("by SIECLE id: %v %v", bySIECLE.ID, err)
			}
			children, err := tx.People().ListChildren(ctx, a.uai, a.parent.ID)
			if err != nil || len(children) != 1 || children[0].ID != a.student.ID {
				t.Errorf("children: %v %v", children, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Deleting the student cascades to everything hanging from them.
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.People().DeletePerson(ctx, a.uai, a.student.ID) }); err != nil {
			t.Fatal(err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			rs, _ := tx.Records().ListResults(ctx, a.uai, sillage.ResultFilter{EvaluationID: a.eval.ID})
			cs, _ := tx.Records().ListComments(ctx, a.uai, sillage.ResultFilter{EvaluationID: a.eval.ID})
			sh, _ := tx.Records().ListSheets(ctx, a.uai, sillage.SheetFilter{StudentID: a.student.ID})
			_, attErr := tx.Records().GetAttachment(ctx, a.uai, a.attachment.ID)
			_, docErr := tx.Records().GetDocument(ctx, a.uai, a.document.ID)
			if len(rs)+len(cs)+len(sh) != 0 || sillage.KindOf(attErr) != sillage.KindNotFound || sillage.KindOf(docErr) != sillage.KindNotFound {
				t.Errorf("after delete: %d results, %d comments, %d sheets, attachment %v, document %v", len(rs), len(cs), len(sh), attErr, docErr)
			}
			e, err := tx.Records().GetEvaluation(ctx, a.uai, a.eval.ID)
			if err != nil || e.Title != "Devis" {
				t.Errorf("the evaluation must stay for the classmates: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTrashAndRestore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Records().TrashSheet(ctx, a.uai, a.sheet.ID, a.teacher.ID); err != nil {
				return err
			}
			if err := tx.Records().TrashDocument(ctx, a.uai, a.document.ID, a.student.ID); err != nil {
				return err
			}
			// Trashing twice is "not found": it is no longer live.
			if err := tx.Records().TrashSheet(ctx, a.uai, a.sheet.ID, a.teacher.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("second trash: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var items []sillage.TrashItem
		st.Read(ctx, func(tx *store.Tx) (err error) { items, err = tx.Records().ListTrash(ctx, a.uai); return err })
		var kinds []string
		for _, it := range items {
			kinds = append(kinds, string(it.Kind))
		}
		sort.Strings(kinds)
		if !reflect.DeepEqual(kinds, []string{"document", "evaluation", "sheet"}) {
			t.Fatalf("trash = %v", kinds)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Records().RestoreEvaluation(ctx, a.uai, a.trashed.ID); err != nil {
				return err
			}
			return tx.Records().RestoreSheet(ctx, a.uai, a.sheet.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		st.Read(ctx, func(tx *store.Tx) (err error) { items, err = tx.Records().ListTrash(ctx, a.uai); return err })
		if len(items) != 1 || items[0].Kind != sillage.TrashDocument {
			t.Fatalf("after restore, trash = %+v", items)
		}
	})
}

func TestResultsUpsertAndBulk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		c := a.ref.Competences[0]
		err := st.Write(ctx, func(tx *store.Tx) error {
			r := a.result
			r.Value = "4"
			if err := tx.Records().SetResult(ctx, a.uai, r); err != nil {
				return err
			}
			e2 := sillage.Evaluation{Title: "Bilan", Date: sillage.NewDate(2025, 10, 3), ReferentialID: a.ref.ID, AuthorID: a.teacher.ID}
			if err := tx.Records().CreateEvaluation(ctx, a.uai, &e2); err != nil {
				return err
			}
			return tx.Records().InsertResults(ctx, a.uai, []sillage.Result{{EvaluationID: e2.ID, StudentID: a.student.ID, CompetenceID: c.ID, Value: "2"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		var rs []sillage.Result
		st.Read(ctx, func(tx *store.Tx) (err error) {
			rs, err = tx.Records().ListResults(ctx, a.uai, sillage.ResultFilter{StudentID: a.student.ID})
			return err
		})
		if len(rs) != 2 || rs[0].Value != "4" || rs[1].Value != "2" {
			t.Fatalf("results = %+v", rs)
		}
		// A result on an unknown competence is refused as invalid.
		err = st.Write(ctx, func(tx *store.Tx) error {
			return tx.Records().SetResult(ctx, a.uai, sillage.Result{EvaluationID: a.eval.ID, StudentID: a.student.ID, CompetenceID: 42, Value: "1"})
		})
		if sillage.KindOf(err) != sillage.KindInvalid {
			t.Fatalf("unknown competence: %v", err)
		}
		// The failed transaction left nothing behind.
		st.Read(ctx, func(tx *store.Tx) (err error) {
			rs, err = tx.Records().ListResults(ctx, a.uai, sillage.ResultFilter{})
			return err
		})
		if len(rs) != 2 {
			t.Fatalf("after a refused write: %d results", len(rs))
		}
	})
}

func TestIDsAreUniqueAcrossTransactions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		seen := map[int64]bool{}
		for i := 0; i < 3; i++ {
			err := st.Write(ctx, func(tx *store.Tx) error {
				ids, err := tx.NewIDs(ctx, 2500)
				if err != nil {
					return err
				}
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("id %d handed out twice", id)
					}
					seen[id] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// A rolled-back reservation is never reused by the next transaction
		// in a way that collides with committed ids.
		_ = st.Write(ctx, func(tx *store.Tx) error {
			tx.NewIDs(ctx, 10)
			return sql.ErrTxDone
		})
		st.Write(ctx, func(tx *store.Tx) error {
			ids, err := tx.NewIDs(ctx, 10)
			for _, id := range ids {
				if seen[id] {
					t.Errorf("id %d reused", id)
				}
			}
			return err
		})
	})
}

func TestSchemaParity(t *testing.T) {
	engines := storetest.Engines(t)
	if len(engines) < 2 {
		t.Skip("needs PostgreSQL to compare")
	}
	cols := map[store.Kind]map[string][]string{}
	for _, k := range engines {
		st := storetest.Open(t, k, &storetest.Clock{T: storetest.Epoch})
		cols[k] = map[string][]string{}
		for _, table := range append(tenantTables, "establishments", "accounts") {
			rows, err := st.SQLDB().Query("SELECT * FROM " + table + " WHERE 1 = 0")
			if err != nil {
				t.Fatal(err)
			}
			names, _ := rows.Columns()
			rows.Close()
			cols[k][table] = names
		}
	}
	if !reflect.DeepEqual(cols[store.SQLite], cols[store.Postgres]) {
		t.Fatalf("SQLite and PostgreSQL schemas differ:\n%v\n%v", cols[store.SQLite], cols[store.Postgres])
	}
}
