package store_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestMigrationsUpFromEmpty(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		m, err := st.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Current == 0 || m.Current != m.Latest {
			t.Fatalf("migrations = %+v, want all applied", m)
		}
		if err := st.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
		// Applying again is a no-op.
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEstablishments(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		e := sillage.Establishment{UAI: "0860012W", Name: "Lycée Rosa Bonheur", Kind: sillage.KindLP}
		if err := st.Write(ctx, func(tx *store.Tx) error { return tx.Establishments().CreateEstablishment(ctx, e) }); err != nil {
			t.Fatal(err)
		}
		err := st.Write(ctx, func(tx *store.Tx) error { return tx.Establishments().CreateEstablishment(ctx, e) })
		if sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("second create: err = %v, want conflict", err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			got, err := tx.Establishments().GetEstablishment(ctx, e.UAI)
			if err != nil {
				return err
			}
			if got.Name != e.Name || got.Kind != e.Kind || got.Transfer.Enabled || !got.CreatedAt.Equal(clock.T) {
				t.Errorf("got %+v", got)
			}
			_, err = tx.Establishments().GetEstablishment(ctx, "0010856A")
			if sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("unknown establishment: err = %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// An import may leave the kind unknown; the operator sets it.
		unknown := sillage.Establishment{UAI: "0860015Z", Name: "Structure AAF", Kind: sillage.KindUnknown}
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, unknown); err != nil {
				return err
			}
			return tx.Establishments().SetEstablishmentKind(ctx, unknown.UAI, sillage.KindCollege)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().SetEstablishmentKind(ctx, unknown.UAI, sillage.KindUnknown); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("back to unknown: err = %v", err)
			}
			if err := tx.Establishments().SetEstablishmentKind(ctx, "0010856A", sillage.KindLP); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("kind of an unknown establishment: err = %v", err)
			}
			got, err := tx.Establishments().GetEstablishment(ctx, unknown.UAI)
			if err == nil && got.Kind != sillage.KindCollege {
				t.Errorf("kind %q, want college", got.Kind)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		in      string
		kind    store.Kind
		wantErr bool
	}{
		{"sqlite:./data/sillage.db", store.SQLite, false},
		{"sqlite:", "", true},
		{"postgres://u:secret@localhost:5432/sillage", store.Postgres, false},
		{"postgres://", "", true},
		{"mysql://x", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		d, err := store.ParseDSN(tt.in)
		if (err != nil) != tt.wantErr || d.Kind != tt.kind {
			t.Errorf("ParseDSN(%q) = %+v, %v", tt.in, d, err)
		}
	}
	d, _ := store.ParseDSN("postgres://u:secret@localhost:5432/sillage")
	if got := d.String(); got != "postgres://u:xxxxx@localhost:5432/sillage" {
		t.Errorf("String() = %q, want the password masked", got)
	}
}

// TestTransactionEndsWithItsGoroutine: a callback that ends its goroutine
// (runtime.Goexit, as t.Fatal does) or panics leaves no transaction open
// and gives its connection back; on SQLite the single writer connection
// would otherwise block every later write.
func TestTransactionEndsWithItsGoroutine(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		e := sillage.Establishment{UAI: "0860012W", Name: "Lycée A", Kind: sillage.KindLP}
		ends := map[string]func(){
			"goexit": runtime.Goexit,
			"panic":  func() { panic("boom") },
		}
		for name, end := range ends {
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer func() { _ = recover() }()
				_ = st.Write(ctx, func(tx *store.Tx) error {
					if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
						return err
					}
					end()
					return nil
				})
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: the interrupted write never gave its connection back", name)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := st.Write(wctx, func(tx *store.Tx) error {
				_, err := tx.Establishments().GetEstablishment(wctx, e.UAI)
				if sillage.KindOf(err) != sillage.KindNotFound {
					t.Errorf("%s: establishment after the interrupted write: %v, want not found (rolled back)", name, err)
				}
				return nil
			})
			cancel()
			if err != nil {
				t.Fatalf("%s: a write after the interrupted one: %v", name, err)
			}
		}
	})
}
