package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestRolloverPackRoundTrip: a pack copies a person with what hangs from
// them; deleted, they come back with every column equal (dates, booleans,
// times, nulls), twice restoring writes nothing more; the summary counts
// the live packs and the purge deletes those past their expiry.
func TestRolloverPackRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		before := recordsDigest(t, st, a.uai)
		var pack int64
		err := st.Write(ctx, func(tx *store.Tx) (err error) {
			// The fixture's own pack (step 1) stays; this one is step 4's.
			if pack, err = tx.Rollover().CreateRolloverPack(ctx, a.uai, a.year, 4, "op", tx.Now().Add(48*time.Hour)); err != nil {
				return err
			}
			if _, err := tx.Rollover().AddRolloverPackAccounts(ctx, a.uai, pack, []int64{a.student.ID}); err != nil {
				return err
			}
			n, err := tx.Rollover().AddRolloverPackRows(ctx, a.uai, pack, "persons", []int64{a.student.ID})
			if err != nil {
				return err
			}
			if n < 5 {
				t.Fatalf("%d rows packed for a student with results, comments, a sheet, a document", n)
			}
			if _, err := tx.Rollover().AddRolloverPackRows(ctx, a.uai, pack, "accounts", []int64{1}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Fatalf("a table outside the packs: %v", err)
			}
			return tx.People().DeletePerson(ctx, a.uai, a.student.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if recordsDigest(t, st, a.uai) == before {
			t.Fatal("the deletion changed nothing")
		}
		for i := range 2 {
			var n int
			if err := st.Write(ctx, func(tx *store.Tx) (err error) {
				n, err = tx.Rollover().RestoreRolloverPackRows(ctx, a.uai, pack)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if i == 1 && n != 0 {
				t.Fatalf("second restore wrote %d rows", n)
			}
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			s, err := tx.Rollover().RolloverPacksSummary(ctx)
			if err != nil {
				return err
			}
			if s.Packs != 2 || s.Earliest.IsZero() {
				t.Fatalf("summary %+v, want 2 live packs", s)
			}
			return tx.Rollover().SetRolloverPackRestored(ctx, a.uai, pack, "op")
		})
		if err != nil {
			t.Fatal(err)
		}
		if recordsDigest(t, st, a.uai) != before {
			t.Fatal("the restored student's rows differ from before")
		}
		clock.Advance(31 * 24 * time.Hour)
		err = st.Write(ctx, func(tx *store.Tx) error {
			n, err := tx.CrossTenant().PurgeExpiredRolloverPacks(ctx, tx.Now())
			if err != nil {
				return err
			}
			if n != 2 {
				t.Fatalf("%d packs purged, want 2", n)
			}
			s, err := tx.Rollover().RolloverPacksSummary(ctx)
			if s.Packs != 0 {
				t.Fatalf("summary after the purge %+v", s)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// recordsDigest digests every row of uai in the tenant tables but the
// packs' own, and the accounts of its persons.
func recordsDigest(t *testing.T, st *store.Store, uai sillage.UAI) string {
	t.Helper()
	h := sha256.New()
	db := st.SQLDB()
	queries := []string{fmt.Sprintf("SELECT * FROM accounts WHERE id IN (SELECT account_id FROM persons WHERE uai = '%s') ORDER BY id", uai)}
	for _, table := range tenantTables {
		if strings.HasPrefix(table, "rollover_pack") {
			continue
		}
		queries = append(queries, fmt.Sprintf("SELECT * FROM %s WHERE uai = '%s' ORDER BY 1, 2, 3", table, uai))
	}
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s:%v\n", q, vals)
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestPackTreeCoversCascades: every foreign key ON DELETE CASCADE of the
// schema whose parent a pack copies is followed by the pack (a table added
// later with such a key must be added to packTree, or an undo would not
// bring its rows back).
func TestPackTreeCoversCascades(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	db := st.SQLDB()
	tables := map[string]bool{}
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables[n] = true
	}
	rows.Close()
	packed := store.PackCascades()
	has := func(parent, child string) bool {
		for _, c := range packed[parent] {
			if c == child {
				return true
			}
		}
		return false
	}
	checked := 0
	for table := range tables {
		fks, err := db.Query(`SELECT "table", "from", on_delete FROM pragma_foreign_key_list(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for fks.Next() {
			var parent, from, onDelete string
			if err := fks.Scan(&parent, &from, &onDelete); err != nil {
				t.Fatal(err)
			}
			if from == "uai" || onDelete != "CASCADE" || packed[parent] == nil {
				continue
			}
			checked++
			if !has(parent, table+"."+from) {
				t.Errorf("%s.%s cascades from %s but the undo packs do not copy it (store.packTree)", table, from, parent)
			}
		}
		fks.Close()
	}
	if checked < 20 {
		t.Fatalf("only %d cascading keys checked: the test lost its reach", checked)
	}
}

// TestRolloverPackRestoreRefusesLinkToDeleted: a packed guardian link
// whose student was deleted after the pack was made is not written back:
// the restore is refused whole on both engines (SQLite by its foreign key,
// PostgreSQL, which lost the key in migration 0036, by its check), rather
// than leaving a link to nobody.
func TestRolloverPackRestoreRefusesLinkToDeleted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		var pack int64
		err := st.Write(ctx, func(tx *store.Tx) (err error) {
			if pack, err = tx.Rollover().CreateRolloverPack(ctx, a.uai, a.year, 4, "op", tx.Now().Add(48*time.Hour)); err != nil {
				return err
			}
			if _, err := tx.Rollover().AddRolloverPackRows(ctx, a.uai, pack, "persons", []int64{a.parent.ID}); err != nil {
				return err
			}
			return tx.People().DeletePerson(ctx, a.uai, a.parent.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.People().DeletePerson(ctx, a.uai, a.student.ID) }); err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Rollover().RestoreRolloverPackRows(ctx, a.uai, pack)
			return err
		})
		if err == nil {
			t.Fatal("a link to a student deleted since the pack was written back")
		}
		if st.Kind() == store.Postgres && sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("refused as %v: %v", sillage.KindOf(err), err)
		}
		var orphans map[string]int64
		if err := st.Read(ctx, func(tx *store.Tx) (err error) {
			orphans, err = tx.CrossTenant().PersonOrphans(ctx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for rel, n := range orphans {
			if n != 0 {
				t.Errorf("%d orphans in %s", n, rel)
			}
		}
		var parents int
		if err := st.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.People().GetPerson(ctx, a.uai, a.parent.ID)
			if err == nil {
				parents++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if parents != 0 {
			t.Fatal("the refused restore left the parent written back")
		}
	})
}
