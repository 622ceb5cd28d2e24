package accounts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestCredentialListsExpire: a list of one-time passwords is deleted once
// CredentialListDays have passed, in every establishment, with a count in
// each journal; a recent list stays; a second run finds nothing.
func TestCredentialListsExpire(t *testing.T) {
	if accounts.DefaultCredentialListDays != 7 {
		t.Fatalf("credential lists are kept %d days by default, want 7 at most", accounts.DefaultCredentialListDays)
	}
	for _, days := range []int{accounts.DefaultCredentialListDays, 2} {
		t.Run(fmt.Sprintf("%d-days", days), func(t *testing.T) { testCredentialListsExpire(t, days) })
	}
}

func testCredentialListsExpire(t *testing.T, days int) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		const a, b = sillage.UAI("0860012W"), sillage.UAI("0860001J")
		start := clock.T
		add := func(uai sillage.UAI, title string) {
			t.Helper()
			err := st.Write(ctx, func(tx *store.Tx) error {
				return tx.Accounts().AddCredentialList(ctx, uai, &sillage.CredentialList{SchoolYear: sillage.SchoolYearOf(start), DivisionCode: "1SN", Title: title,
					Accounts: 2, PDFSHA256: strings.Repeat("a", 64), PDFSize: 1, CSVSHA256: strings.Repeat("b", 64), CSVSize: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{a, b} {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Établissement " + string(u), Kind: sillage.KindLP}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		add(a, "ancienne A")
		add(b, "ancienne B")
		clock.T = start.AddDate(0, 0, days-1).Add(-time.Hour)
		add(a, "récente A")

		clock.T = start.AddDate(0, 0, days).Add(-time.Second)
		if n, err := accounts.ExpireCredentialLists(ctx, st, days); err != nil || n != 0 {
			t.Fatalf("the day before: %d deleted, %v; want none", n, err)
		}
		clock.T = start.AddDate(0, 0, days).Add(time.Second)
		if n, err := accounts.ExpireCredentialLists(ctx, st, days); err != nil || n != 2 {
			t.Fatalf("after %d days: %d deleted, %v; want 2", days, n, err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			for uai, want := range map[sillage.UAI]string{a: "récente A", b: ""} {
				lists, err := tx.Accounts().ListCredentialLists(ctx, uai)
				if err != nil {
					return err
				}
				if want == "" && len(lists) != 0 || want != "" && (len(lists) != 1 || lists[0].Title != want) {
					t.Errorf("%s keeps %+v, want %q", uai, lists, want)
				}
				entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: audit.CredentialsExpired})
				if err != nil {
					return err
				}
				if len(entries) != 1 || !strings.Contains(entries[0].Details, "1 liste(s)") {
					t.Errorf("%s journal: %+v", uai, entries)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := accounts.ExpireCredentialLists(ctx, st, days); err != nil || n != 0 {
			t.Fatalf("second run: %d, %v", n, err)
		}
	})
}
