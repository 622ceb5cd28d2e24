package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestDriverSharesTheTransaction: what a library writes through the
// driver's view commits or rolls back with the store's transaction, and
// the library may not end that transaction itself.
func TestDriverSharesTheTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		const insert = `INSERT INTO key_registry (name, version, fingerprint, recorded_at) VALUES ('essai', 1, 'ab', CURRENT_TIMESTAMP)`
		write := func(fail error) error {
			return st.Write(ctx, func(tx *store.Tx) error {
				if err := tx.Driver(ctx, func(d store.DriverTx) error {
					if d.Pgx == nil {
						_, err := d.SQL.ExecContext(ctx, insert)
						return err
					}
					if err := d.Pgx.Commit(ctx); err == nil {
						t.Error("the library committed the store's transaction")
					}
					if _, err := d.Pgx.Begin(ctx); err == nil {
						t.Error("the library opened a nested transaction")
					}
					if _, err := d.Pgx.Prepare(ctx, "essai", insert); err != nil {
						return err
					}
					_, err := d.Pgx.Exec(ctx, insert)
					return err
				}); err != nil {
					return err
				}
				return fail
			})
		}
		count := func() int {
			var n int
			if err := st.Read(ctx, func(tx *store.Tx) error {
				vs, err := tx.Keys().ListKeyVersions(ctx, "essai")
				n = len(vs)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		boom := errors.New("boom")
		if err := write(boom); !errors.Is(err, boom) {
			t.Fatalf("write: %v", err)
		}
		if n := count(); n != 0 {
			t.Fatalf("rolled back transaction left %d row(s)", n)
		}
		if err := write(nil); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 1 {
			t.Fatalf("committed transaction left %d row(s), want 1", n)
		}
	})
}
