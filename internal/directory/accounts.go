package directory

import (
	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
)

// newAccountFor queues an account for a person the transaction creates.
// The logins are chosen in one batch (allocateAccounts) before the persons
// are written.
func (t *txn) newAccountFor(p *sillage.Person) { t.pending = append(t.pending, p) }

// allocateAccounts gives each queued person an account: an instance-wide
// unique login, auth.LoginBase of the names plus a number on a collision
// ("lea.martin", "lea.martin2"…), and no password yet — the administrator
// issues one-time passwords later (credential lists).
func (t *txn) allocateAccounts() error {
	if t.logins != nil {
		// Past this point the next establishment may reserve its own.
		defer t.logins.done()
	}
	if len(t.pending) == 0 {
		return nil
	}
	bases := make([]string, len(t.pending))
	for i, p := range t.pending {
		bases[i] = auth.LoginBase(p.FirstName, p.LastName)
	}
	var logins []string
	var err error
	if t.logins != nil {
		logins, err = t.logins.allocate(t.ctx, bases)
	} else {
		logins, err = t.tx.Imports().AllocateLogins(t.ctx, bases)
	}
	if err != nil {
		return err
	}
	accs := make([]*sillage.Account, len(t.pending))
	for i, login := range logins {
		accs[i] = &sillage.Account{Login: login, MustChangePassword: true}
	}
	if err := t.tx.Imports().InsertAccounts(t.ctx, accs); err != nil {
		return err
	}
	for i, p := range t.pending {
		p.AccountID = accs[i].ID
	}
	t.pending = nil
	return nil
}
