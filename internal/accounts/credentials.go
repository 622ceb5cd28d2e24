package accounts

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// Credential is one line of a credential list.
type Credential struct {
	Name     string // "NOM Prénom"
	Role     string // "Élève", or "Responsable de NOM Prénom"
	Class    string // the division's code, for a student
	Login    string
	Password string
}

// needsCredentials reports whether an account still waits for its first
// sign-in: no password yet, or a one-time password never used.
func needsCredentials(acc sillage.Account) bool {
	return acc.ClosedAt.IsZero() && (acc.PasswordHash == "" || acc.MustChangePassword && acc.LastSignInAt.IsZero())
}

// IssueDivision issues one-time passwords to the students of a division and
// their legal guardians whose accounts were never activated, and stores the
// list (PDF and CSV) in the blob store, sealed by box (the lists hold
// passwords in clear: privacy.md, docs/securite.md). Issuing again replaces the passwords
// of the previous list for accounts still not activated. signIn is the
// sign-in address printed on each slip.
func IssueDivision(ctx context.Context, tx *store.Tx, blobs blob.Store, box *sealbox.Box, uai sillage.UAI, who audit.Actor, signIn string, divisionID int64) (sillage.CredentialList, []Credential, error) {
	div, err := tx.People().GetDivision(ctx, uai, divisionID)
	if err != nil {
		return sillage.CredentialList{}, nil, err
	}
	students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{DivisionID: divisionID, ActiveOnly: true})
	if err != nil {
		return sillage.CredentialList{}, nil, err
	}
	var targets []target
	for _, s := range students {
		targets = append(targets, target{s.Person, sillage.RoleStudent.Label(), div.Code})
		links, err := tx.People().ListGuardians(ctx, uai, s.ID)
		if err != nil {
			return sillage.CredentialList{}, nil, err
		}
		for _, g := range links {
			if !g.Legal {
				continue
			}
			p, err := tx.People().GetPerson(ctx, uai, g.ParentID)
			if err != nil {
				return sillage.CredentialList{}, nil, err
			}
			if p.Active() {
				targets = append(targets, target{person: p, role: "Responsable de " + s.FullName()})
			}
		}
	}
	return issue(ctx, tx, blobs, box, uai, who, signIn, div.SchoolYear, div.Code, "Identifiants de la classe "+div.Code, targets)
}

// target is a person a list may give credentials to.
type target struct {
	person sillage.Person
	role   string // as printed: "Élève", "Responsable de NOM Prénom"…
	class  string // the division's code, for a student
}

// IssueStaff issues one-time passwords to the active staff (teachers,
// direction, administrators, other staff) whose accounts were never activated.
func IssueStaff(ctx context.Context, tx *store.Tx, blobs blob.Store, box *sealbox.Box, uai sillage.UAI, who audit.Actor, signIn string, year sillage.SchoolYear) (sillage.CredentialList, []Credential, error) {
	var targets []target
	for _, role := range []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleAdministrator, sillage.RoleStaff} {
		ps, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: role, ActiveOnly: true})
		if err != nil {
			return sillage.CredentialList{}, nil, err
		}
		for _, p := range ps {
			targets = append(targets, target{person: p, role: role.Label()})
		}
	}
	return issue(ctx, tx, blobs, box, uai, who, signIn, year, "", "Identifiants des personnels", targets)
}

func issue(ctx context.Context, tx *store.Tx, blobs blob.Store, box *sealbox.Box, uai sillage.UAI, who audit.Actor, signIn string, year sillage.SchoolYear,
	division, title string, targets []target) (sillage.CredentialList, []Credential, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return sillage.CredentialList{}, nil, err
	}
	var creds []Credential
	var accountIDs []int64
	shared := 0
	for _, t := range targets {
		p := t.person
		if p.AccountID == 0 {
			login, err := UniqueLogin(ctx, tx, p.FirstName, p.LastName)
			if err != nil {
				return sillage.CredentialList{}, nil, err
			}
			acc := sillage.Account{Login: login, MustChangePassword: true}
			if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
				return sillage.CredentialList{}, nil, err
			}
			if err := tx.Accounts().LinkAccount(ctx, uai, p.ID, acc.ID); err != nil {
				return sillage.CredentialList{}, nil, err
			}
			p.AccountID = acc.ID
		}
		acc, err := tx.Accounts().GetAccount(ctx, p.AccountID)
		if err != nil {
			return sillage.CredentialList{}, nil, err
		}
		if !needsCredentials(acc) {
			continue
		}
		// An account another establishment also uses got its password
		// there: it is not this establishment's to replace.
		if elsewhere, err := tx.CrossTenant().AccountUsedElsewhere(ctx, acc.ID, uai); err != nil {
			return sillage.CredentialList{}, nil, err
		} else if elsewhere {
			shared++
			continue
		}
		creds = append(creds, Credential{Name: p.FullName(), Role: t.role, Class: t.class, Login: acc.Login, Password: auth.OneTimePassword()})
		accountIDs = append(accountIDs, acc.ID)
	}
	if len(creds) == 0 {
		return sillage.CredentialList{}, nil, sillage.Errorf(sillage.KindInvalid, "tous les comptes concernés sont déjà activés : aucun identifiant à éditer")
	}
	hashes, err := hashAll(creds)
	if err != nil {
		return sillage.CredentialList{}, nil, err
	}
	for i, id := range accountIDs {
		if err := tx.Accounts().SetPassword(ctx, id, hashes[i], true); err != nil {
			return sillage.CredentialList{}, nil, err
		}
	}
	pdfRef, csvRef, err := storeFiles(blobs, box, Handout{Title: title, At: tx.Now(), Establishment: est.Name, SignIn: signIn}, creds)
	if err != nil {
		return sillage.CredentialList{}, nil, err
	}
	l := sillage.CredentialList{SchoolYear: year, DivisionCode: division, Title: title, Accounts: len(creds),
		PDFSHA256: pdfRef.SHA256, PDFSize: pdfRef.Size, CSVSHA256: csvRef.SHA256, CSVSize: csvRef.Size, CreatedBy: who.ID}
	if err := tx.Accounts().AddCredentialList(ctx, uai, &l); err != nil {
		return sillage.CredentialList{}, nil, err
	}
	details := fmt.Sprintf("%d mots de passe provisoires", len(creds))
	if shared > 0 {
		details += fmt.Sprintf(" ; %d comptes communs à un autre établissement laissés inchangés", shared)
	}
	if err := audit.Record(ctx, tx, uai, who, audit.CredentialsIssued, title, details); err != nil {
		return sillage.CredentialList{}, nil, err
	}
	return l, creds, nil
}

// hashAll hashes the one-time passwords on every core.
func hashAll(creds []Credential) ([]string, error) {
	hashes := make([]string, len(creds))
	errs := make([]error, len(creds))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range creds {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			hashes[i], errs[i] = HashOneTime(creds[i].Password)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

// Purpose is the sealbox purpose of the credential lists' files.
const Purpose = sealbox.PurposeCredentials

// storeFiles stores the PDF and the CSV sealed: the blob store never holds
// a one-time password in clear.
func storeFiles(blobs blob.Store, box *sealbox.Box, h Handout, creds []Credential) (blob.Ref, blob.Ref, error) {
	if box == nil {
		return blob.Ref{}, blob.Ref{}, sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : les listes d'identifiants ne peuvent pas être conservées")
	}
	sorted := append([]Credential(nil), creds...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	put := func(write func(*bytes.Buffer) error) (blob.Ref, error) {
		var plain bytes.Buffer
		if err := write(&plain); err != nil {
			return blob.Ref{}, err
		}
		sealed, err := box.Seal(plain.Bytes(), Purpose)
		clear(plain.Bytes())
		if err != nil {
			return blob.Ref{}, err
		}
		return blobs.Put(bytes.NewReader(sealed))
	}
	pdfRef, err := put(func(b *bytes.Buffer) error { return WritePDF(b, h, sorted) })
	if err != nil {
		return blob.Ref{}, blob.Ref{}, err
	}
	csvRef, err := put(func(b *bytes.Buffer) error { return WriteCSV(b, sorted) })
	return pdfRef, csvRef, err
}

// WriteCSV writes a credential list as CSV for spreadsheets (csvout).
func WriteCSV(w *bytes.Buffer, creds []Credential) error {
	cw := csvout.NewWriter(w)
	cw.Write([]string{"Nom", "Profil", "Identifiant", "Mot de passe provisoire"})
	for _, c := range creds {
		cw.Write([]string{c.Name, c.Role, c.Login, c.Password})
	}
	return cw.Flush()
}
