// Package accounts holds what administrators do with accounts: create one,
// reset a password, change a role, delete an account, and issue the
// credential lists ("fichiers d'identifiants") of one-time passwords.
package accounts

import (
	"context"
	"fmt"
	"slices"

	"github.com/alexedwards/argon2id"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/store"
)

// otpParams hash one-time passwords more cheaply than chosen ones: they are
// random (about 50 bits), short-lived and must be changed at first sign-in,
// and a list of a whole division is hashed at once. They stay Argon2id, so
// the same check verifies both.
var otpParams = &argon2id.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashOneTime hashes a one-time password.
func HashOneTime(pw string) (string, error) { return argon2id.CreateHash(pw, otpParams) }

// UniqueLogin returns a login free in the instance, from a person's names.
func UniqueLogin(ctx context.Context, tx *store.Tx, first, last string) (string, error) {
	base := auth.LoginBase(first, last)
	login := base
	for n := 2; ; n++ {
		taken, err := tx.Accounts().LoginTaken(ctx, login)
		if err != nil {
			return "", err
		}
		if !taken {
			return login, nil
		}
		login = fmt.Sprintf("%s%d", base, n)
	}
}

// NewPerson is what an administrator types to create an account.
type NewPerson struct {
	Role      sillage.Role
	Civility  string
	FirstName string
	LastName  string
	Email     string
}

// Created is a new account with its one-time password (shown once).
type Created struct {
	Person   sillage.Person
	Login    string
	Password string
}

// Create adds a person with an account and a one-time password.
func Create(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, n NewPerson) (Created, error) {
	role, err := sillage.ParseRole(string(n.Role))
	if err != nil {
		return Created{}, err
	}
	if role == sillage.RoleStudent {
		return Created{}, sillage.Errorf(sillage.KindInvalid, "les élèves viennent des imports SIECLE, AAF ou ONDE : ils ne se créent pas à la main")
	}
	// The same rules as a rectification: what may be corrected later may
	// not be entered wrong in the first place.
	id, err := cleanIdentity(Identity{Civility: n.Civility, LastName: n.LastName, FirstName: n.FirstName, Email: n.Email}, "")
	if err != nil {
		return Created{}, err
	}
	login, err := UniqueLogin(ctx, tx, id.FirstName, id.LastName)
	if err != nil {
		return Created{}, err
	}
	otp := auth.OneTimePassword()
	hash, err := HashOneTime(otp)
	if err != nil {
		return Created{}, err
	}
	acc := sillage.Account{Login: login, PasswordHash: hash, MustChangePassword: true}
	if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
		return Created{}, err
	}
	p := sillage.Person{Role: role, Civility: id.Civility, FirstName: id.FirstName, LastName: id.LastName,
		Email: id.Email, Source: sillage.SourceManual, AccountID: acc.ID}
	if err := tx.People().CreatePerson(ctx, uai, &p); err != nil {
		return Created{}, err
	}
	if err := audit.Record(ctx, tx, uai, who, audit.AccountCreated, p.FullName()+" ("+role.Label()+")", "identifiant "+login); err != nil {
		return Created{}, err
	}
	return Created{Person: p, Login: login, Password: otp}, nil
}

// ResetPassword gives a person a new one-time password and ends their sessions.
func ResetPassword(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, personID int64, ret sillage.Retention) (Created, error) {
	p, err := tx.People().GetPerson(ctx, uai, personID)
	if err != nil {
		return Created{}, err
	}
	// A departed student keeps access to download their record for a
	// while (privacy.md): new credentials within that window, not after;
	// other persons who left need none.
	if !p.Active() {
		if p.Role != sillage.RoleStudent {
			return Created{}, sillage.Errorf(sillage.KindConflict, "%s a quitté l'établissement : son compte ne sert plus", p.FullName())
		}
		if ends := ret.DepartedAccessEnds(p.DeactivatedAt); !tx.Now().Before(ends) {
			return Created{}, sillage.Errorf(sillage.KindConflict, "l'accès de %s, parti de l'établissement, a pris fin le %s : de nouveaux identifiants ne lui serviraient pas",
				p.FullName(), sillage.FormatDate(ends))
		}
	}
	if p.AccountID == 0 {
		login, err := UniqueLogin(ctx, tx, p.FirstName, p.LastName)
		if err != nil {
			return Created{}, err
		}
		acc := sillage.Account{Login: login, MustChangePassword: true}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return Created{}, err
		}
		if err := tx.Accounts().LinkAccount(ctx, uai, p.ID, acc.ID); err != nil {
			return Created{}, err
		}
		p.AccountID = acc.ID
	}
	acc, err := tx.Accounts().GetAccount(ctx, p.AccountID)
	if err != nil {
		return Created{}, err
	}
	if shared, err := tx.CrossTenant().AccountUsedElsewhere(ctx, acc.ID, uai); err != nil {
		return Created{}, err
	} else if shared {
		return Created{}, sillage.Errorf(sillage.KindConflict,
			"le compte « %s » sert aussi dans un autre établissement : seul l'opérateur de l'instance peut en réinitialiser le mot de passe (sillage user reset-password)", acc.Login)
	}
	otp := auth.OneTimePassword()
	hash, err := HashOneTime(otp)
	if err != nil {
		return Created{}, err
	}
	if err := tx.Accounts().SetPassword(ctx, acc.ID, hash, true); err != nil {
		return Created{}, err
	}
	if _, err := tx.Accounts().DeleteAccountSessions(ctx, acc.ID); err != nil {
		return Created{}, err
	}
	if _, err := RevokeAccountTokens(ctx, tx, who, acc.ID, "réinitialisation du mot de passe"); err != nil {
		return Created{}, err
	}
	if err := audit.Record(ctx, tx, uai, who, audit.AccountPasswordReset, p.FullName(), "identifiant "+acc.Login); err != nil {
		return Created{}, err
	}
	return Created{Person: p, Login: acc.Login, Password: otp}, nil
}

// ResetAccount gives any account of the instance a new one-time password
// and ends its sessions: the operator's way for an account several
// establishments share, which none of their administrators may reset. The
// reset is journaled in the chain of each establishment the account serves
// and in the instance's.
func ResetAccount(ctx context.Context, tx *store.Tx, who audit.Actor, login string) (string, error) {
	acc, err := tx.Accounts().GetAccountByLogin(ctx, login)
	if err != nil {
		return "", err
	}
	if !acc.ClosedAt.IsZero() {
		return "", sillage.Errorf(sillage.KindConflict, "le compte « %s » est fermé : il ne permet plus de se connecter", acc.Login)
	}
	ms, err := tx.Accounts().AccountMemberships(ctx, acc.ID)
	if err != nil {
		return "", err
	}
	otp := auth.OneTimePassword()
	hash, err := HashOneTime(otp)
	if err != nil {
		return "", err
	}
	if err := tx.Accounts().SetPassword(ctx, acc.ID, hash, true); err != nil {
		return "", err
	}
	if _, err := tx.Accounts().DeleteAccountSessions(ctx, acc.ID); err != nil {
		return "", err
	}
	if _, err := RevokeAccountTokens(ctx, tx, who, acc.ID, "réinitialisation du mot de passe"); err != nil {
		return "", err
	}
	chains := []sillage.UAI{""}
	for _, m := range ms {
		if !slices.Contains(chains, m.UAI) {
			chains = append(chains, m.UAI)
		}
	}
	for _, uai := range chains {
		if err := audit.Record(ctx, tx, uai, who, audit.AccountPasswordReset, "identifiant "+acc.Login, "par l'opérateur de l'instance"); err != nil {
			return "", err
		}
	}
	return otp, nil
}

// ChangeRole changes the role of a member of staff (never to or from student).
func ChangeRole(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, personID int64, role sillage.Role) error {
	p, err := tx.People().GetPerson(ctx, uai, personID)
	if err != nil {
		return err
	}
	if _, err := sillage.ParseRole(string(role)); err != nil {
		return err
	}
	if p.Role == sillage.RoleStudent || role == sillage.RoleStudent || p.Role == sillage.RoleParent || role == sillage.RoleParent {
		return sillage.Errorf(sillage.KindInvalid, "seul le rôle d'un personnel peut changer (enseignant, chef d'établissement, administrateur, personnel)")
	}
	if p.Role == role {
		return nil
	}
	if err := tx.People().SetPersonRole(ctx, uai, personID, role); err != nil {
		return err
	}
	if p.AccountID != 0 {
		if _, err := tx.Accounts().DeleteAccountSessions(ctx, p.AccountID); err != nil {
			return err
		}
	}
	if err := revokePersonTokens(ctx, tx, uai, who, p, "changement de rôle"); err != nil {
		return err
	}
	return audit.Record(ctx, tx, uai, who, audit.RoleChanged, p.FullName(), fmt.Sprintf("%s → %s", p.Role.Label(), role.Label()))
}

// Delete deletes a person with all their data; their account is closed when
// it belongs to no other establishment. It is logged.
func Delete(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, personID int64, reason string) error {
	p, err := tx.People().GetPerson(ctx, uai, personID)
	if err != nil {
		return err
	}
	if err := revokePersonTokens(ctx, tx, uai, who, p, "suppression du compte"); err != nil {
		return err
	}
	if err := tx.People().DeletePerson(ctx, uai, personID); err != nil {
		return err
	}
	if p.AccountID != 0 {
		if err := CloseIfOrphan(ctx, tx, p.AccountID, reason); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, uai, who, audit.AccountDeleted, p.FullName()+" ("+p.Role.Label()+")", "")
}

// CloseIfOrphan closes an account whose last person was deleted.
func CloseIfOrphan(ctx context.Context, tx *store.Tx, accountID int64, reason string) error {
	ms, err := tx.Accounts().AccountMemberships(ctx, accountID)
	if err != nil {
		return err
	}
	if len(ms) > 0 {
		return nil
	}
	return tx.Accounts().CloseAccount(ctx, accountID, reason)
}

// RevokeAccountTokens revokes the API tokens of every person of an account
// (password change or reset, sign-out everywhere) and journals it in each
// establishment whose tokens it revoked. It returns how many.
func RevokeAccountTokens(ctx context.Context, tx *store.Tx, who audit.Actor, accountID int64, reason string) (int, error) {
	uais, err := tx.Accounts().RevokeAccountAPITokens(ctx, accountID, reason)
	if err != nil {
		return 0, err
	}
	counts := map[sillage.UAI]int{}
	var order []sillage.UAI
	for _, u := range uais {
		if counts[u] == 0 {
			order = append(order, u)
		}
		counts[u]++
	}
	for _, u := range order {
		if err := audit.Record(ctx, tx, u, who, audit.APITokenRevoked, fmt.Sprintf("%d jeton(s) du compte", counts[u]), "révoqué(s) : "+reason); err != nil {
			return 0, err
		}
	}
	return len(uais), nil
}

// revokePersonTokens revokes the API tokens a person issued (role change,
// deletion), journaled when there were any.
func revokePersonTokens(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, p sillage.Person, reason string) error {
	n, err := tx.Accounts().RevokePersonAPITokens(ctx, uai, p.ID, reason)
	if err != nil || n == 0 {
		return err
	}
	return audit.Record(ctx, tx, uai, who, audit.APITokenRevoked, fmt.Sprintf("%d jeton(s) de %s", n, p.FullName()), "révoqué(s) : "+reason)
}
