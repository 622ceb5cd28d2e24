package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestPolicyMatchesPrivacyTable(t *testing.T) {
	person := func(r sillage.Role) Principal { return Principal{AccountID: 1, UAI: "0860012W", PersonID: 2, Role: r} }
	tests := []struct {
		action  Action
		allowed []sillage.Role
	}{
		{ViewOwnRecord, []sillage.Role{sillage.RoleStudent}},
		{ViewChildRecord, []sillage.Role{sillage.RoleParent}},
		{ViewStudents, []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleAdministrator}},
		// Logins and external ids: the administrator only (privacy.md).
		{ViewLogins, []sillage.Role{sillage.RoleAdministrator}},
		// Birth dates: the student, their guardians, the administrator.
		{ViewBirthDate, []sillage.Role{sillage.RoleStudent, sillage.RoleParent, sillage.RoleAdministrator}},
		// Last sign-ins of every user: the director and the administrator.
		{ViewAllSignIns, []sillage.Role{sillage.RoleDirector, sillage.RoleAdministrator}},
		{ReadAudit, []sillage.Role{sillage.RoleAdministrator}},
		{TransferSettings, []sillage.Role{sillage.RoleDirector, sillage.RoleAdministrator}},
		{ExportLSU, []sillage.Role{sillage.RoleDirector, sillage.RoleAdministrator}},
		{OperatorRollover, nil},
	}
	for _, tt := range tests {
		for _, r := range sillage.Roles {
			want := false
			for _, a := range tt.allowed {
				want = want || a == r
			}
			if got := person(r).Allowed(tt.action); got != want {
				t.Errorf("%s may %s: got %v, want %v", r, tt.action, got, want)
			}
		}
	}
	op := Principal{AccountID: 1, Operator: true}
	if !op.Allowed(OperatorRollover) || op.Allowed(ViewStudents) || op.Allowed(ViewOwnRecord) {
		t.Error("the operator runs the changeover and never sees records")
	}
	departed := person(sillage.RoleStudent)
	departed.Departed = true
	if !departed.Allowed(DepartedDownload) || departed.Allowed(ViewOwnRecord) || departed.Allowed(ViewHome) {
		t.Error("a departed student may only download their record")
	}
	noEstablishment := Principal{AccountID: 1, Role: sillage.RoleAdministrator}
	if noEstablishment.Allowed(ViewHome) {
		t.Error("no action without an establishment")
	}
}

// TestLimiterDelayGrowsButOwnerPasses: failures of a login make the next
// attempt wait longer and longer, never more than MaxDelay; once the wait
// is over the correct password passes, whoever caused the failures.
func TestLimiterDelayGrowsButOwnerPasses(t *testing.T) {
	forEachLimiter(t, testLimiterDelay)
}

func testLimiterDelay(t *testing.T, newLimiter func() (*Limiter, *storetest.Clock)) {
	l, clock := newLimiter()
	reports := 0
	var waits []time.Duration
	for i := 0; i < 12; i++ {
		addr := fmt.Sprintf("10.0.%d.1", i) // the attacker changes address
		ok, until := l.Allow("Lea.Durand", addr)
		if !ok {
			waits = append(waits, until.Sub(clock.T))
			clock.T = until
			if ok, _ = l.Allow("lea.durand", addr); !ok {
				t.Fatalf("attempt %d refused after its delay", i+1)
			}
		}
		if l.Fail("lea.durand", addr) {
			reports++
		}
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 64 * time.Second,
		128 * time.Second, 256 * time.Second, 5 * time.Minute}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	if reports != 1 {
		t.Errorf("the delay was reported %d times, want once", reports)
	}
	// During the delay even the right password is not checked...
	ok, until := l.Allow("lea.durand", "192.0.2.7")
	if ok || until.Sub(clock.T) != 5*time.Minute {
		t.Fatalf("during the delay: ok=%v until=%v", ok, until)
	}
	// ...and after it, the owner passes: no lock.
	clock.T = until
	if ok, _ := l.Allow("lea.durand", "192.0.2.7"); !ok {
		t.Fatal("the owner must pass once the delay is over")
	}
	l.Succeed("lea.durand", "192.0.2.7")
	for i := 0; i < l.FreeFailures; i++ {
		if ok, _ := l.Allow("lea.durand", "192.0.2.7"); !ok {
			t.Fatalf("after a success, attempt %d refused", i+1)
		}
		l.Fail("lea.durand", "192.0.2.7")
	}
	// A quiet hour forgets the failures: the free ones are free again.
	clock.T = clock.T.Add(time.Hour)
	for i := 0; i < l.FreeFailures; i++ {
		if ok, _ := l.Allow("lea.durand", "192.0.2.7"); !ok {
			t.Fatalf("after a quiet hour, attempt %d refused", i+1)
		}
		l.Fail("lea.durand", "192.0.2.7")
	}
	if got := RetryIn(clock.T.Add(4*time.Minute+10*time.Second), clock.T); got != "5 minutes" {
		t.Errorf("RetryIn = %q", got)
	}
	if got := RetryIn(clock.T.Add(1500*time.Millisecond), clock.T); got != "2 secondes" {
		t.Errorf("RetryIn = %q", got)
	}
}

// TestLimiterPerAddress: an address (an IPv6 /64) over its limit is
// refused; another address is not.
func TestLimiterPerAddress(t *testing.T) {
	forEachLimiter(t, testLimiterPerAddress)
}

func testLimiterPerAddress(t *testing.T, newLimiter func() (*Limiter, *storetest.Clock)) {
	tests := []struct {
		name            string
		attacker, other string
		otherLimited    bool
	}{
		{"IPv4 address", "10.9.9.9", "10.9.9.10", false},
		{"IPv6 same /64", "2001:db8:1:2::1", "2001:db8:1:2:ffff:0:0:99", true},
		{"IPv6 other /64", "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"IPv4-mapped IPv6", "::ffff:10.9.9.9", "10.9.9.9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, clock := newLimiter()
			reports := 0
			for i := 0; i < l.MaxPerAddr; i++ {
				login := fmt.Sprintf("login%d", i)
				if ok, _ := l.Allow(login, tt.attacker); !ok {
					t.Fatalf("address attempt %d refused", i+1)
				}
				if l.Fail(login, tt.attacker) {
					reports++
				}
			}
			if ok, _ := l.Allow("new.login", tt.attacker); ok {
				t.Fatal("an address over its limit must be refused")
			}
			if ok, _ := l.Allow("new.login", tt.other); ok == tt.otherLimited {
				t.Fatalf("%s after %s reached its limit: allowed=%v", tt.other, tt.attacker, ok)
			}
			if reports != 1 {
				t.Errorf("the address limit was reported %d times, want once", reports)
			}
			clock.T = clock.T.Add(l.Window)
			if ok, _ := l.Allow("new.login", tt.attacker); !ok {
				t.Fatal("the address limit must end with the window")
			}
		})
	}
}

// TestLimiterBurst: attempts in flight count, so a burst of parallel
// sign-ins cannot all pass before the first failure is recorded.
func TestLimiterBurst(t *testing.T) {
	forEachLimiter(t, testLimiterBurst)
}

func testLimiterBurst(t *testing.T, newLimiter func() (*Limiter, *storetest.Clock)) {
	l, _ := newLimiter()
	allowed := 0
	for i := 0; i < 20; i++ {
		if ok, _ := l.Allow("lea.durand", "10.0.0.1"); ok {
			allowed++
		}
	}
	if allowed != l.FreeFailures {
		t.Fatalf("%d attempts in flight allowed, want %d", allowed, l.FreeFailures)
	}
	// A released attempt (a storage error) is given back.
	l.Release("lea.durand", "10.0.0.1")
	if ok, _ := l.Allow("lea.durand", "10.0.0.1"); !ok {
		t.Fatal("a released attempt must be given back")
	}
	l.Succeed("lea.durand", "10.0.0.1")
	for i := 0; i < l.FreeFailures; i++ {
		if ok, _ := l.Allow("lea.durand", "10.0.0.1"); !ok {
			t.Fatalf("after a success, attempt %d refused", i+1)
		}
	}
	// The address kept the other attempts: 3 + 1 + 3 allowed, one release, one success.
	if n := len(addrFailures(t, l, "10.0.0.1")); n != 2*l.FreeFailures-1 {
		t.Errorf("address attempts counted: %d, want %d", n, 2*l.FreeFailures-1)
	}
}

func TestPasswords(t *testing.T) {
	ctx := context.Background()
	h, err := HashPassword(ctx, "cheval-correct-42")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Fatalf("hash %q, %v", h, err)
	}
	if ok, _ := CheckPassword(ctx, "cheval-correct-42", h); !ok {
		t.Fatal("right password refused")
	}
	if ok, _ := CheckPassword(ctx, "cheval-correct-43", h); ok {
		t.Fatal("wrong password accepted")
	}
	if ok, _ := CheckPassword(ctx, "sillage-dummy", ""); ok {
		t.Fatal("an empty hash must never match")
	}
	for pw, want := range map[string]string{"court1": "au moins", "lea.durand": "identifiant", "abcdefghijkl": "mêler", "motdepasse-2026": ""} {
		err := CheckNewPassword(pw, "lea.durand")
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("CheckNewPassword(%q) = %v, want %q", pw, err, want)
		}
	}
	otp := OneTimePassword()
	if len(otp) != 10 || strings.ContainsAny(otp, "0O1lI") {
		t.Errorf("one-time password %q", otp)
	}
}

func TestLoginBase(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"Léa", "Durand"}:            "lea.durand",
		{"Jean-Éric", "D'Arc"}:       "jean-eric.darc",
		{"Zoë", "Œuvray de la Tour"}: "zoe.oeuvraydelatour",
		{"", "Martin"}:               "martin",
		{"   ", "  "}:                "utilisateur",
	} {
		if got := LoginBase(in[0], in[1]); got != want {
			t.Errorf("LoginBase(%q) = %q, want %q", in, got, want)
		}
	}
}

// forEachLimiter runs test against the limiter in memory and over the
// database of each engine (the state every server process shares).
func forEachLimiter(t *testing.T, test func(t *testing.T, newLimiter func() (*Limiter, *storetest.Clock))) {
	t.Run("memory", func(t *testing.T) {
		test(t, func() (*Limiter, *storetest.Clock) {
			clock := &storetest.Clock{T: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
			return NewLimiter(clock), clock
		})
	})
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			// One database per engine (a schema costs seconds), emptied
			// for each limiter.
			clock := &storetest.Clock{}
			st := storetest.Open(t, kind, clock)
			test(t, func() (*Limiter, *storetest.Clock) {
				clock.T = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
				if err := st.Write(context.Background(), func(tx *store.Tx) error {
					_, err := tx.Accounts().DeleteThrottleBefore(context.Background(), clock.T.AddDate(100, 0, 0))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				l := NewLimiter(clock)
				l.Store = st
				return l, clock
			})
		})
	}
}

// addrFailures is what the limiter counts against an address.
func addrFailures(t *testing.T, l *Limiter, addr string) []time.Time {
	t.Helper()
	var state string
	if l.Store == nil {
		state = l.mem[AddrKey(addr)]
	} else if err := l.Store.Write(context.Background(), func(tx *store.Tx) error {
		states, err := tx.Accounts().LockThrottle(context.Background(), []string{AddrKey(addr)})
		state = states[AddrKey(addr)]
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var as addrState
	if state != "" {
		if err := json.Unmarshal([]byte(state), &as); err != nil {
			t.Fatal(err)
		}
	}
	return as.Failures
}

// TestLimiterSharedByTwoServers: two limiters over one database (two
// server processes) count the same failures: the delay a login earned on
// one server holds on the other, a burst spread over both allows only the
// free failures, and a success on one forgets them for both.
func TestLimiterSharedByTwoServers(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			clock := &storetest.Clock{T: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
			st := storetest.Open(t, kind, clock)
			a, b := NewLimiter(clock), NewLimiter(clock)
			a.Store, b.Store = st, st
			servers := []*Limiter{a, b}
			var mu sync.Mutex
			allowed := 0
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					if ok, _ := servers[i%2].Allow("lea.durand", fmt.Sprintf("10.0.0.%d", i)); ok {
						mu.Lock()
						allowed++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if allowed != a.FreeFailures {
				t.Fatalf("a burst over two servers allowed %d attempts, want %d", allowed, a.FreeFailures)
			}
			for i := range allowed {
				servers[i%2].Fail("lea.durand", "10.0.0.1")
			}
			clock.T = clock.T.Add(a.Delay(a.FreeFailures))
			if ok, _ := a.Allow("lea.durand", "10.0.0.1"); !ok {
				t.Fatal("server A: the attempt after the delay must be checked")
			}
			a.Fail("lea.durand", "10.0.0.1")
			if ok, until := b.Allow("lea.durand", "10.0.0.2"); ok || !until.After(clock.T) {
				t.Fatalf("server B ignores the delay earned on A: ok=%v until=%v", ok, until)
			}
			clock.T = clock.T.Add(a.MaxDelay)
			if ok, _ := b.Allow("lea.durand", "10.0.0.2"); !ok {
				t.Fatal("server B: the owner must pass once the delay is over")
			}
			b.Succeed("lea.durand", "10.0.0.2")
			if ok, _ := a.Allow("lea.durand", "10.0.0.1"); !ok {
				t.Fatal("server A: a success on B must forget the failures")
			}
		})
	}
}
