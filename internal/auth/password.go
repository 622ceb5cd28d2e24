package auth

import (
	"context"
	"crypto/rand"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"golang.org/x/text/unicode/norm"

	"github.com/sillage/sillage"
)

// Argon2Params: 64 MiB, 2 passes, 2 lanes (RFC 9106's second recommended
// option scaled to our 2-core machines). A hash takes ~0.1 s and 64 MiB.
var Argon2Params = &argon2id.Params{Memory: 64 * 1024, Iterations: 2, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// MaxConcurrentHashes bounds the memory of hashing: 4 × 64 MiB = 256 MiB
// live at most (about twice that obtained from the system, with the
// garbage collector's headroom), whatever the number of simultaneous
// sign-ins: the others wait their turn. On 2 cores more slots would add
// memory, not throughput (BenchmarkSignIn).
const MaxConcurrentHashes = 4

var hashSlots = make(chan struct{}, MaxConcurrentHashes)

func withSlot(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return sillage.Wrap(sillage.KindUnavailable, ctx.Err(), "service surchargé, réessayez")
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}

// HashPassword returns the Argon2id hash of pw.
func HashPassword(ctx context.Context, pw string) (string, error) {
	var h string
	var err error
	if serr := withSlot(ctx, func() { h, err = argon2id.CreateHash(pw, Argon2Params) }); serr != nil {
		return "", serr
	}
	return h, err
}

// CheckPassword reports whether pw matches hash. An empty hash never matches.
func CheckPassword(ctx context.Context, pw, hash string) (bool, error) {
	if hash == "" {
		// Spend the same time as a real check, so an attacker cannot tell
		// a closed account from a wrong password by timing.
		hash = dummyHash
	}
	var ok bool
	var err error
	if serr := withSlot(ctx, func() { ok, err = argon2id.ComparePasswordAndHash(pw, hash) }); serr != nil {
		return false, serr
	}
	return ok && hash != dummyHash, err
}

var dummyHash, _ = argon2id.CreateHash("sillage-dummy", Argon2Params)

// MinPasswordLength follows the usual guidance for passwords without a
// second factor: long rather than complicated.
const MinPasswordLength = 10

// CheckNewPassword refuses weak new passwords.
func CheckNewPassword(pw, login string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return sillage.Errorf(sillage.KindInvalid, "le mot de passe doit compter au moins %d caractères", MinPasswordLength)
	case strings.EqualFold(pw, login):
		return sillage.Errorf(sillage.KindInvalid, "le mot de passe ne peut pas être l'identifiant")
	case len(pw) > 256:
		return sillage.Errorf(sillage.KindInvalid, "le mot de passe est trop long")
	}
	letters, others := 0, 0
	for _, r := range pw {
		if unicode.IsLetter(r) {
			letters++
		} else {
			others++
		}
	}
	if letters == 0 || others == 0 {
		return sillage.Errorf(sillage.KindInvalid, "le mot de passe doit mêler des lettres et des chiffres ou symboles")
	}
	return nil
}

// otpAlphabet has no look-alike characters (0/O, 1/l/I), since one-time
// passwords are read on paper.
const otpAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// OneTimePassword returns a random 10-character password to hand out on
// the credential lists; it must be changed at first sign-in.
func OneTimePassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = otpAlphabet[int(b[i])%len(otpAlphabet)]
	}
	return string(b)
}

// LoginBase returns "prenom.nom" in lower-case ASCII: accents removed,
// spaces and apostrophes dropped.
func LoginBase(first, last string) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range norm.NFD.String(strings.ToLower(strings.TrimSpace(s))) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
				b.WriteRune(r)
			case r == '-':
				b.WriteByte('-')
			case r == 'œ':
				b.WriteString("oe")
			case r == 'æ':
				b.WriteString("ae")
			}
		}
		return strings.Trim(b.String(), "-")
	}
	f, l := clean(first), clean(last)
	switch {
	case f == "" && l == "":
		return "utilisateur"
	case f == "":
		return l
	case l == "":
		return f
	}
	return f + "." + l
}
