package accounts

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// Identity is what an administrator may rectify of a person (privacy.md:
// "Rectification: through the establishment's administrator; logged").
type Identity struct {
	Civility  string
	LastName  string
	FirstName string
	Email     string
}

// Civilities are the values the account forms offer. A person keeps an
// imported value the forms do not offer (SIECLE writes "MME") as long as it
// is not changed.
var Civilities = []string{"Mme", "M."}

// maxNameLen bounds a surname or a first name, in characters.
const maxNameLen = 100

// maxEmailLen is the longest address a mailbox can have (RFC 5321).
const maxEmailLen = 254

// Rectify corrects the civility, names and e-mail of a person of the
// establishment and journals what changed in the same transaction. It
// reports changed=false, and journals nothing, when the input equals the
// current data. The journal names the fields with their old and new values,
// the e-mail address excepted ("courriel modifié").
func Rectify(ctx context.Context, tx *store.Tx, uai sillage.UAI, who audit.Actor, personID int64, in Identity) (bool, error) {
	p, err := tx.People().GetPerson(ctx, uai, personID)
	if err != nil {
		return false, err
	}
	in, err = cleanIdentity(in, p.Civility)
	if err != nil {
		return false, err
	}
	var changes []string
	if in.Civility != p.Civility {
		changes = append(changes, "civilité : "+orDash(p.Civility)+" → "+orDash(in.Civility))
	}
	if in.LastName != p.LastName {
		changes = append(changes, "nom : "+p.LastName+" → "+in.LastName)
	}
	if in.FirstName != p.FirstName {
		changes = append(changes, "prénom : "+p.FirstName+" → "+in.FirstName)
	}
	if in.Email != p.Email {
		switch {
		case p.Email == "":
			changes = append(changes, "courriel ajouté")
		case in.Email == "":
			changes = append(changes, "courriel retiré")
		default:
			changes = append(changes, "courriel modifié")
		}
	}
	if len(changes) == 0 {
		return false, nil
	}
	p.Civility, p.LastName, p.FirstName, p.Email = in.Civility, in.LastName, in.FirstName, in.Email
	if err := tx.People().UpdatePerson(ctx, uai, p); err != nil {
		return false, err
	}
	if err := audit.Record(ctx, tx, uai, who, audit.Rectification, p.FullName(), strings.Join(changes, " ; ")); err != nil {
		return false, err
	}
	return true, nil
}

// cleanIdentity trims and checks an identity; current is the person's
// civility, accepted unchanged even when the forms do not offer it.
func cleanIdentity(in Identity, current string) (Identity, error) {
	out := Identity{
		Civility:  strings.TrimSpace(in.Civility),
		LastName:  strings.TrimSpace(in.LastName),
		FirstName: strings.TrimSpace(in.FirstName),
		Email:     strings.TrimSpace(in.Email),
	}
	if out.LastName == "" || out.FirstName == "" {
		return Identity{}, sillage.Errorf(sillage.KindInvalid, "le nom et le prénom sont obligatoires")
	}
	if utf8.RuneCountInString(out.LastName) > maxNameLen || utf8.RuneCountInString(out.FirstName) > maxNameLen {
		return Identity{}, sillage.Errorf(sillage.KindInvalid, "le nom et le prénom comptent %d caractères au plus", maxNameLen)
	}
	if out.Civility != "" && out.Civility != current && !slices.Contains(Civilities, out.Civility) {
		return Identity{}, sillage.Errorf(sillage.KindInvalid, "civilité inconnue : choisissez « Mme », « M. » ou aucune")
	}
	if out.Email != "" {
		a, err := mail.ParseAddress(out.Email)
		if err != nil || a.Address != out.Email || len(out.Email) > maxEmailLen {
			return Identity{}, sillage.Errorf(sillage.KindInvalid, "le courriel n'est pas une adresse valide (exemple : prenom.nom@ac-poitiers.fr)")
		}
	}
	return out, nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
