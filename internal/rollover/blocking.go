package rollover

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Access blocking (rollover.md step 4): from the start of step 4 until the
// first day of term, the configured profiles who sign in see only the
// operator's message. An establishment's administrators may shorten or
// lengthen their own window and edit the message, within the operator's
// limits.

// overrideKey is the establishment setting holding its own window.
func overrideKey(year sillage.SchoolYear) string {
	return fmt.Sprintf("rollover.blocking.%d", int(year))
}

// Override is an establishment's own blocking window and message.
type Override struct {
	From    sillage.Date `json:"du"`
	Until   sillage.Date `json:"au"`
	Message string       `json:"message,omitempty"`
}

// BlockingWindow is the blocking that applies to one establishment.
type BlockingWindow struct {
	Year       sillage.SchoolYear
	From       sillage.Date
	Until      sillage.Date
	Roles      []sillage.Role
	Template   string // the message with its {debut}/{fin}/{annee}
	Overridden bool   // the establishment changed the operator's window or message
	// Step4Started: the window starts earlier because step 4 started.
	Step4Started bool
}

// Message is the text shown to the blocked profiles.
func (w BlockingWindow) Message() string {
	r := strings.NewReplacer("{debut}", frenchDay(w.From, w.From.Year != w.Until.Year), "{fin}", frenchDay(w.Until, true),
		"{annee}", (w.Year + 1).String())
	return r.Replace(w.Template)
}

// Blocks reports whether the window blocks role on day.
func (w BlockingWindow) Blocks(role sillage.Role, day sillage.Date) bool {
	return slices.Contains(w.Roles, role) && !day.Before(w.From) && !day.After(w.Until)
}

// GetOverride returns an establishment's override of year's blocking (zero when none).
func GetOverride(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) (Override, error) {
	var o Override
	v, err := tx.Periods().GetSetting(ctx, uai, overrideKey(year), "")
	if err != nil || v == "" {
		return o, err
	}
	if json.Unmarshal([]byte(v), &o) != nil {
		return Override{}, nil // a damaged value reads as none
	}
	return o, nil
}

// EffectiveBlocking is the blocking of an establishment: the operator's,
// amended by the establishment when allowed; it starts when step 4 starts
// for the establishment if that is earlier.
func EffectiveBlocking(ctx context.Context, tx *store.Tx, uai sillage.UAI, cal Calendar) (BlockingWindow, error) {
	b := cal.Blocking
	w := BlockingWindow{Year: cal.Year, From: b.From, Until: b.Until, Roles: b.Roles, Template: b.Message}
	if b.AllowOverride {
		o, err := GetOverride(ctx, tx, uai, cal.Year)
		if err != nil {
			return w, err
		}
		if !o.From.IsZero() && !o.Until.IsZero() {
			w.From, w.Until, w.Overridden = o.From, o.Until, true
		}
		if strings.TrimSpace(o.Message) != "" {
			w.Template, w.Overridden = o.Message, true
		}
	}
	st, err := getStep(ctx, tx, uai, cal.Year, int(StepDirectory))
	if err != nil {
		return w, err
	}
	if !st.StartedAt.IsZero() {
		if d := sillage.DateOf(st.StartedAt); d.Before(w.From) && !d.After(w.Until) {
			w.From, w.Step4Started = d, true
		}
	}
	return w, nil
}

// SetOverride records an establishment's own window and message; they must
// stay within the operator's limits. A zero window with an empty message
// goes back to the operator's.
func SetOverride(ctx context.Context, tx *store.Tx, uai sillage.UAI, cal Calendar, o Override) error {
	b := cal.Blocking
	if !b.AllowOverride {
		return sillage.Errorf(sillage.KindForbidden, "l'opérateur ne permet pas aux établissements de modifier le blocage des accès")
	}
	if o.From.IsZero() != o.Until.IsZero() {
		return sillage.Errorf(sillage.KindInvalid, "donnez le premier et le dernier jour du blocage")
	}
	if !o.From.IsZero() {
		if o.Until.Before(o.From) {
			return sillage.Errorf(sillage.KindInvalid, "le blocage finit avant de commencer")
		}
		if o.From.Before(b.EarliestFrom) || o.Until.After(b.LatestUntil) {
			return sillage.Errorf(sillage.KindInvalid, "le blocage doit tenir entre le %s et le %s (limites fixées par l'opérateur)",
				b.EarliestFrom.French(), b.LatestUntil.French())
		}
	}
	o.Message = strings.TrimSpace(o.Message)
	if len([]rune(o.Message)) > 2000 {
		return sillage.Errorf(sillage.KindInvalid, "le message dépasse 2 000 caractères")
	}
	v := ""
	if !o.From.IsZero() || o.Message != "" {
		bs, err := json.Marshal(o)
		if err != nil {
			return err
		}
		v = string(bs)
	}
	return tx.Periods().SetSetting(ctx, uai, overrideKey(cal.Year), v)
}

// DefaultBlockerTTL is how long a Blocker keeps an establishment's window:
// short, because several server processes share one database and each
// has its own cache (one read per establishment every few seconds).
const DefaultBlockerTTL = 5 * time.Second

// Blocker answers the web layer's AccessBlocked hook, with a short cache:
// it is asked on every signed-in request.
type Blocker struct {
	Store *store.Store
	// TTL bounds how long a window is kept (default 5 seconds):
	// Invalidate reaches only this process, so a change made through
	// another server process is seen here within TTL.
	TTL time.Duration

	mu    sync.Mutex
	cache map[blockKey]blockEntry
}

type blockKey struct {
	uai  sillage.UAI
	year sillage.SchoolYear
}

type blockEntry struct {
	w      BlockingWindow
	loaded time.Time
}

// NewBlocker returns a blocker over st. Whoever changes a blocking (the
// calendar, an establishment's override, a step) tells it through
// Invalidate: serve wires the web pages and the engine to it.
func NewBlocker(st *store.Store) *Blocker {
	return &Blocker{Store: st}
}

// Invalidate forgets an establishment's windows ("" forgets all).
func (b *Blocker) Invalidate(uai sillage.UAI) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.cache {
		if uai == "" || k.uai == uai {
			delete(b.cache, k)
		}
	}
}

func (b *Blocker) window(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (BlockingWindow, error) {
	ttl := b.TTL
	if ttl <= 0 {
		ttl = DefaultBlockerTTL
	}
	k := blockKey{uai, year}
	b.mu.Lock()
	if e, ok := b.cache[k]; ok && time.Since(e.loaded) < ttl {
		b.mu.Unlock()
		return e.w, nil
	}
	b.mu.Unlock()
	var w BlockingWindow
	err := b.Store.Read(ctx, func(tx *store.Tx) error {
		cal, err := LoadCalendar(ctx, tx, year)
		if err != nil {
			return err
		}
		w, err = EffectiveBlocking(ctx, tx, uai, cal)
		return err
	})
	if err != nil {
		return w, err
	}
	b.mu.Lock()
	if b.cache == nil {
		b.cache = map[blockKey]blockEntry{}
	}
	b.cache[k] = blockEntry{w: w, loaded: time.Now()}
	b.mu.Unlock()
	return w, nil
}

// Blocked reports whether role of uai is blocked now (by the store's
// clock), with the message to show. An error of the store does not block.
func (b *Blocker) Blocked(ctx context.Context, uai sillage.UAI, role sillage.Role) (bool, string) {
	now := b.Store.Clock().Now()
	today := sillage.Today(now)
	cur := sillage.SchoolYearOf(now)
	for _, y := range []sillage.SchoolYear{cur - 1, cur} {
		w, err := b.window(ctx, uai, y)
		if err != nil {
			continue
		}
		if w.Blocks(role, today) {
			return true, w.Message()
		}
	}
	return false, ""
}
