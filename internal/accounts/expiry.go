package accounts

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// DefaultCredentialListDays is how long a credential list (PDF and CSV of
// one-time passwords, sealed) can be downloaded again after it was issued,
// unless configured otherwise (SILLAGE_CREDENTIAL_LIST_DAYS). privacy.md:
// nobody sees a password; the lists exist only to hand the first passwords
// out, so they stay a week at most. An account still not activated
// afterwards gets a new list.
const DefaultCredentialListDays = 7

// CredentialListExpiry is when a list issued at created stops being
// offered and is deleted.
func CredentialListExpiry(created time.Time, days int) time.Time {
	return created.AddDate(0, 0, days)
}

// CredentialListExpired reports whether the list is past its expiry at now.
func CredentialListExpired(l sillage.CredentialList, now time.Time, days int) bool {
	return !now.Before(CredentialListExpiry(l.CreatedAt, days))
}

// ExpireCredentialLists deletes the lists past their expiry in every
// establishment, in one transaction, with one audit entry per
// establishment (counts only), and returns how many went. Their files are
// left to the blob collector, which removes unreferenced files.
func ExpireCredentialLists(ctx context.Context, st *store.Store, days int) (int, error) {
	return ExpireCredentialListsThen(ctx, st, days, nil)
}

// ExpireCredentialListsThen is ExpireCredentialLists calling then inside
// its transaction when lists were deleted, before it commits: the job
// queue queues the collection of their files there.
func ExpireCredentialListsThen(ctx context.Context, st *store.Store, days int, then func(ctx context.Context, tx *store.Tx) error) (int, error) {
	if days < 1 {
		days = DefaultCredentialListDays
	}
	total := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		total = 0
		cutoff := tx.Now().AddDate(0, 0, -days)
		counts, err := tx.Accounts().ExpireCredentialLists(ctx, cutoff)
		if err != nil {
			return err
		}
		uais := make([]sillage.UAI, 0, len(counts))
		for u := range counts {
			uais = append(uais, u)
		}
		sort.Slice(uais, func(i, j int) bool { return uais[i] < uais[j] })
		for _, u := range uais {
			total += counts[u]
			err := audit.Record(ctx, tx, u, audit.System, audit.CredentialsExpired, "listes d'identifiants",
				fmt.Sprintf("%d liste(s) de plus de %d jours supprimée(s) (mots de passe provisoires)", counts[u], days))
			if err != nil {
				return err
			}
		}
		if total > 0 && then != nil {
			return then(ctx, tx)
		}
		return nil
	})
	return total, err
}
