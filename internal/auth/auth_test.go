package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
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

func TestLimiter(t *testing.T) {
	clock := &sillage.FixedClock{T: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	l := NewLimiter(clock)
	locked := false
	for i := 0; i < 5; i++ {
		if ok, _ := l.Allow("Lea.Durand", "10.0.0.1"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		locked = l.Fail("lea.durand", "10.0.0.1")
	}
	if !locked {
		t.Fatal("the fifth failure must report the lock (audit entry)")
	}
	ok, until := l.Allow("lea.durand", "10.0.0.2")
	if ok || !until.Equal(clock.T.Add(15*time.Minute)) {
		t.Fatalf("locked login: ok=%v until=%v", ok, until)
	}
	if ok, _ := l.Allow("autre.eleve", "10.0.0.1"); !ok {
		t.Fatal("another login from the same address is still allowed under the address limit")
	}
	clock.T = clock.T.Add(15 * time.Minute)
	if ok, _ := l.Allow("lea.durand", "10.0.0.1"); !ok {
		t.Fatal("the lock must end with the window")
	}
	// Per address: many logins from one address.
	reports := 0
	for i := 0; i < 30; i++ {
		login := "login" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if ok, _ := l.Allow(login, "10.9.9.9"); !ok {
			t.Fatalf("address attempt %d refused", i+1)
		}
		if l.Fail(login, "10.9.9.9") {
			reports++
		}
	}
	if ok, _ := l.Allow("new.login", "10.9.9.9"); ok {
		t.Fatal("an address over its limit must be locked")
	}
	if reports != 1 {
		t.Errorf("the address lock was reported %d times, want once", reports)
	}
}

// TestLimiterBurst: attempts in flight count, so a burst of parallel
// sign-ins cannot all pass before the first failure is recorded.
func TestLimiterBurst(t *testing.T) {
	clock := &sillage.FixedClock{T: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	l := NewLimiter(clock)
	allowed := 0
	for i := 0; i < 20; i++ {
		if ok, _ := l.Allow("lea.durand", "10.0.0.1"); ok {
			allowed++
		}
	}
	if allowed != l.MaxPerLogin {
		t.Fatalf("%d attempts in flight allowed, want %d", allowed, l.MaxPerLogin)
	}
	// Released attempts (a storage error) and a success give the
	// attempts back.
	l.Release("lea.durand", "10.0.0.1")
	if ok, _ := l.Allow("lea.durand", "10.0.0.1"); !ok {
		t.Fatal("a released attempt must be given back")
	}
	l.Succeed("lea.durand", "10.0.0.1")
	for i := 0; i < l.MaxPerLogin; i++ {
		if ok, _ := l.Allow("lea.durand", "10.0.0.1"); !ok {
			t.Fatalf("after a success, attempt %d refused", i+1)
		}
	}
	// The address kept the other attempts: 5 + 5 allowed, one success.
	if n := len(l.failures["a:10.0.0.1"]); n != 2*l.MaxPerLogin-1 {
		t.Errorf("address attempts counted: %d, want %d", n, 2*l.MaxPerLogin-1)
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
