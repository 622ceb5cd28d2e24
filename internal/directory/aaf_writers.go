package directory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// aafWriters is how many establishments an AAF import writes at once on
// PostgreSQL: the server's work (index upkeep, foreign key checks) is
// serial within a transaction, and the machines have two cores. SQLite
// has one writer.
const aafWriters = 2

// writers returns how many establishments of n are written at once.
func (r *aafRun) writers(n int) int {
	w := aafWriters
	if r.im.writers > 0 {
		w = r.im.writers
	}
	// A dry run allocates its logins in its transaction (nothing may
	// outlive it): two such transactions would lock the same login
	// counters in no set order.
	if r.im.Store.Kind() != store.Postgres || r.opts.DryRun {
		w = 1
	}
	// Each writer holds a connection for its transaction, and reserves
	// its logins through another one.
	if c := r.im.Store.WriteConns(); c > 0 {
		w = min(w, c-1)
	}
	return max(1, min(w, n))
}

// loginReserver reserves one establishment's logins in a short
// transaction of its own, committed before the establishment's writes,
// instead of in the establishment's transaction: the login counters are
// shared by every establishment ("lea.martin" is in most of them), and a
// counter updated in a transaction stays locked until it commits, which
// would make the writers wait for each other for their whole
// transactions. The counters are locked in sorted order (as every
// allocation locks them), and the reservations of one run are made one at
// a time (mu) and in the run's establishment order (after): the logins
// are those a run writing one establishment at a time gives. When the
// establishment's transaction fails, release gives the numbers back
// (unless another establishment reserved from the same counter meanwhile:
// then they are skipped, and the logins stay unique).
type loginReserver struct {
	im *Importer
	mu *sync.Mutex
	// after is closed once the previous establishment reserved its
	// logins or finished; nil for the first one.
	after <-chan struct{}
	// reserved is closed once this one reserved its logins or finished.
	reserved chan struct{}
	once     sync.Once
	// The counters before and after this establishment's reservations.
	before, now map[string]int64
}

func newLoginReserver(im *Importer, mu *sync.Mutex, after <-chan struct{}) *loginReserver {
	return &loginReserver{im: im, mu: mu, after: after, reserved: make(chan struct{})}
}

// done lets the next establishment reserve.
func (lr *loginReserver) done() { lr.once.Do(func() { close(lr.reserved) }) }

// wait returns once the previous establishment reserved its logins or
// finished: then this one's transaction begins. It waits before the
// transaction, so that it holds no lock another writer could wait for.
func (lr *loginReserver) wait(ctx context.Context) error {
	if lr.after == nil {
		return nil
	}
	select {
	case <-lr.after:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// How long a login reservation waits for a login counter another
// transaction holds (a web import of an establishment allocating the same
// bases in its own transaction), and how many times it tries. The wait
// must be bounded: that transaction may itself wait for rows the
// establishment being written beside holds (its transaction is open while
// its logins are reserved), a cycle PostgreSQL cannot see, since one side
// waits in this process.
const (
	loginLockTimeout  = 10 * time.Second
	loginLockAttempts = 3
)

// allocate reserves one login per base, in order (see
// store.Imports.AllocateLogins), and commits the reservation. A counter
// held by another transaction past the lock timeout, loginLockAttempts
// times, refuses the establishment: its transaction rolls back whole.
func (lr *loginReserver) allocate(ctx context.Context, bases []string) ([]string, error) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	timeout := lr.lockTimeout()
	var logins []string
	var before, now map[string]int64
	for attempt := 1; ; attempt++ {
		err := lr.im.Store.Write(ctx, func(tx *store.Tx) (err error) {
			if err := tx.Imports().SetLockTimeout(ctx, timeout); err != nil {
				return err
			}
			// The counters as they were and as they are left come
			// from the allocation's own statements: locking them
			// first, then creating the new ones, would lock them in
			// another order than the imports allocating beside
			// (store.Imports.AllocateLogins).
			logins, before, now, err = tx.Imports().ReserveLogins(ctx, append([]string(nil), bases...))
			return err
		})
		if err == nil {
			break
		}
		if !store.LockTimedOut(err) {
			return nil, err
		}
		if attempt == loginLockAttempts {
			return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("les identifiants de connexion des personnes à créer n'ont pas pu être réservés : "+
				"leurs compteurs sont tenus depuis plus de %s par un autre import en cours (page « Imports » d'un établissement) "+
				"ou par une opération de maintenance de la base de données. Import de l'établissement refusé, "+
				"rien n'a été enregistré pour lui ; relancez l'import AAF une fois cet import ou cette opération terminés", waitLabel(timeout*loginLockAttempts)))
		}
		lr.im.log().Info("AAF login reservation waited too long for a login counter; trying again", "attempt", attempt)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(timeout / 2):
		}
	}
	if lr.before == nil {
		lr.before, lr.now = map[string]int64{}, map[string]int64{}
	}
	for b, v := range now {
		if _, ok := lr.now[b]; !ok {
			if p, ok := before[b]; ok {
				lr.before[b] = p
			}
		}
		lr.now[b] = v
	}
	return logins, nil
}

// release gives back the numbers reserved for a transaction that did
// not commit. A failure only leaves gaps in the numbering: it is logged.
func (lr *loginReserver) release(ctx context.Context) {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if len(lr.now) == 0 {
		return
	}
	bg := context.WithoutCancel(ctx)
	timeout := lr.lockTimeout()
	err := lr.im.Store.Write(bg, func(tx *store.Tx) error {
		// Bounded like the reservation: it holds lr.mu, which the other
		// writer waits for in Go, a wait PostgreSQL cannot see as part of
		// a deadlock. Not given back, the numbers are only skipped.
		if err := tx.Imports().SetLockTimeout(bg, timeout); err != nil {
			return err
		}
		return tx.Imports().RestoreLoginCounters(bg, lr.before, lr.now)
	})
	if err != nil {
		lr.im.log().Warn("login numbers of a failed AAF establishment not given back", "err", err)
		return
	}
	lr.before, lr.now = nil, nil
}

// lockTimeout is how long a statement on the counters waits for a lock
// another transaction holds (loginLockTimeout; tests shorten it).
func (lr *loginReserver) lockTimeout() time.Duration {
	if lr.im.loginLockTimeout > 0 {
		return lr.im.loginLockTimeout
	}
	return loginLockTimeout
}

// waitLabel says a wait in French, in seconds or minutes.
func waitLabel(d time.Duration) string {
	if d < 2*time.Minute {
		if n := int(d.Round(time.Second) / time.Second); n > 1 {
			return fmt.Sprintf("%d secondes", n)
		}
		return "1 seconde"
	}
	return fmt.Sprintf("%d minutes", int(d.Round(time.Minute)/time.Minute))
}
