package accounts_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestSharedAccount: a teacher works in two establishments with one
// account. Neither establishment's administrator may set its password (a
// reset is refused, a credential list leaves it out); the operator resets
// it, every session ends, and each chain journals it.
func TestSharedAccount(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		const a, b = sillage.UAI("0860012W"), sillage.UAI("0860001J")
		var shared, local sillage.Person
		var acc sillage.Account
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, u := range []sillage.UAI{a, b} {
				if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Établissement " + string(u), Kind: sillage.KindLP}); err != nil {
					return err
				}
			}
			acc = sillage.Account{Login: "anne.martin", MustChangePassword: true}
			if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
				return err
			}
			shared = sillage.Person{Role: sillage.RoleTeacher, LastName: "MARTIN", FirstName: "Anne", Source: sillage.SourceManual, AccountID: acc.ID}
			if err := tx.People().CreatePerson(ctx, a, &shared); err != nil {
				return err
			}
			there := sillage.Person{Role: sillage.RoleTeacher, LastName: "MARTIN", FirstName: "Anne", Source: sillage.SourceManual, AccountID: acc.ID}
			if err := tx.People().CreatePerson(ctx, b, &there); err != nil {
				return err
			}
			local = sillage.Person{Role: sillage.RoleTeacher, LastName: "PETIT", FirstName: "Luc", Source: sillage.SourceManual}
			if err := tx.People().CreatePerson(ctx, a, &local); err != nil {
				return err
			}
			return tx.Accounts().CreateSession(ctx, sillage.Session{TokenHash: "jeton", AccountID: acc.ID, CreatedAt: clock.T, LastSeenAt: clock.T, ExpiresAt: clock.T.Add(time.Hour)})
		})
		if err != nil {
			t.Fatal(err)
		}
		admin := audit.Actor{ID: 1, Role: string(sillage.RoleAdministrator), Name: "Admin"}
		err = st.Write(ctx, func(tx *store.Tx) error {
			_, err := accounts.ResetPassword(ctx, tx, a, admin, shared.ID, sillage.DefaultRetention())
			return err
		})
		if sillage.KindOf(err) != sillage.KindConflict || !strings.Contains(sillage.Message(err), "autre établissement") {
			t.Fatalf("reset of a shared account by one establishment: %v", err)
		}
		blobs, err := blob.Open(t.TempDir(), 0)
		if err != nil {
			t.Fatal(err)
		}
		defer blobs.Close()
		var creds []accounts.Credential
		var list sillage.CredentialList
		box := testBox(t)
		err = st.Write(ctx, func(tx *store.Tx) (err error) {
			list, creds, err = accounts.IssueStaff(ctx, tx, blobs, box, a, admin, "https://sillage.ac-exemple.fr/connexion", 2025)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(creds) != 1 || creds[0].Name != local.FullName() {
			t.Fatalf("staff list of A: %+v, want the local teacher only", creds)
		}
		checkSealedList(t, blobs, box, list, creds)
		var otp string
		err = st.Write(ctx, func(tx *store.Tx) (err error) {
			otp, err = accounts.ResetAccount(ctx, tx, audit.Actor{Role: "operator", Name: "ligne de commande"}, "Anne.Martin")
			return err
		})
		if err != nil || len(otp) != 10 {
			t.Fatalf("operator reset: %q %v", otp, err)
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			if _, err := tx.Accounts().GetSession(ctx, "jeton", clock.T); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("the account's session after the reset: %v", err)
			}
			got, err := tx.Accounts().GetAccount(ctx, acc.ID)
			if err != nil {
				return err
			}
			if !got.MustChangePassword || got.PasswordHash == "" {
				t.Errorf("account after the reset: %+v", got)
			}
			for _, u := range []sillage.UAI{"", a, b} {
				entries, err := tx.Audit().ListAudit(ctx, u, sillage.AuditFilter{Action: audit.AccountPasswordReset})
				if err != nil {
					return err
				}
				if len(entries) != 1 || entries[0].Target != "identifiant anne.martin" {
					t.Errorf("chain %q: %+v", u, entries)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func testBox(t *testing.T) *sealbox.Box {
	t.Helper()
	box, err := sealbox.LoadOrCreate(filepath.Join(t.TempDir(), "secrets-key"))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// checkSealedList: the files of a credential list hold no one-time
// password or login in clear in the blob store; they open with the key
// into the PDF and the CSV with every password.
func checkSealedList(t *testing.T, blobs blob.Store, box *sealbox.Box, l sillage.CredentialList, creds []accounts.Credential) {
	t.Helper()
	for _, sum := range []string{l.PDFSHA256, l.CSVSHA256} {
		f, err := blobs.Open(sum)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !sealbox.IsSealed(raw) {
			t.Fatalf("list file %s is not sealed", sum)
		}
		for _, c := range creds {
			if bytes.Contains(raw, []byte(c.Password)) || bytes.Contains(raw, []byte(c.Login)) {
				t.Fatalf("list file %s holds %s's credentials in clear", sum, c.Name)
			}
		}
		plain, err := box.Open(raw, accounts.Purpose)
		if err != nil {
			t.Fatal(err)
		}
		if sum == l.PDFSHA256 && !bytes.HasPrefix(plain, []byte("%PDF-")) {
			t.Fatal("the sealed PDF does not open into a PDF")
		}
		if sum == l.PDFSHA256 {
			for _, c := range creds {
				for _, want := range []string{"Établissement 0860012W", c.Login, c.Password, "https://sillage.ac-exemple.fr/connexion"} {
					if !pdfdoc.HasText(plain, want) {
						t.Fatalf("%s's slip lacks %q", c.Name, want)
					}
				}
			}
		}
		if sum == l.CSVSHA256 {
			for _, c := range creds {
				if !bytes.Contains(plain, []byte(c.Password)) {
					t.Fatalf("the CSV lacks %s's password", c.Name)
				}
			}
		}
	}
}
