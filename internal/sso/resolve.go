package sso

import (
	"context"
	"strings"
	"unicode"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/french"
	"github.com/sillage/sillage/internal/store"
)

// resolve finds the one person of the establishment an identity is: by
// its link when the subject was linked before, else by the directory's
// identifiers. It reports whether the person came from a link.
//
//   - an AAF join id (ENT, académie): the person imported with it;
//   - a student's INE (ÉduConnect): the student whose unqid it hashes to;
//   - a parent (ÉduConnect sends their children's INEs): the legal
//     guardian of all of those students, with the asserted name when the
//     provider sends one.
//
// Nobody and more than one person are refusals telling whom to ask.
func resolve(ctx context.Context, tx *store.Tx, est sillage.Establishment, p Provider, id Identity, unqids []string) (sillage.Person, bool, error) {
	if id.Subject != "" {
		person, err := tx.Accounts().FindSSOLinkedPerson(ctx, est.UAI, p.ID, id.Subject)
		if err == nil {
			return person, true, nil
		}
		if sillage.KindOf(err) != sillage.KindNotFound {
			return person, false, err
		}
	}
	var found []sillage.Person
	var err error
	switch {
	case id.Jointure != "":
		found, err = tx.Accounts().FindPersonsByAAFID(ctx, est.UAI, id.Jointure)
	case len(id.INEs) > 0 && isParent(id.Affiliation):
		var children []sillage.Person
		if children, err = tx.Accounts().FindStudentsByUnqids(ctx, est.UAI, unqids); err != nil || len(children) == 0 {
			break
		}
		ids := make([]int64, len(children))
		for i, c := range children {
			ids[i] = c.ID
		}
		if found, err = tx.Accounts().FindLegalGuardiansOf(ctx, est.UAI, ids); err != nil {
			break
		}
		// A child may have a legal guardian Sillage does not know: without
		// the name, the one it knows could be someone else.
		if id.LastName == "" {
			return sillage.Person{}, false, refuse("responsable sans nom dans la réponse",
				"Le fournisseur d'identité n'a pas transmis votre nom : Sillage ne peut pas vérifier que vous êtes le responsable connu de l'élève. "+askAdmin)
		}
		var named []sillage.Person
		for _, g := range found {
			if sameName(g.LastName, id.LastName) && (id.FirstName == "" || sameName(g.FirstName, id.FirstName)) {
				named = append(named, g)
			}
		}
		found = named
	case len(id.INEs) > 0 && isPupil(id.Affiliation):
		found, err = tx.Accounts().FindStudentsByUnqids(ctx, est.UAI, unqids)
	case len(id.INEs) > 0:
		// An INE sent for someone who is neither a pupil nor a guardian (or
		// whose profile is missing) could be a parent's child's.
		return sillage.Person{}, false, refuse("profil (élève ou responsable) absent ou inconnu",
			"Le fournisseur d'identité n'a pas précisé si vous êtes élève ou responsable légal. "+askAdmin)
	default:
		return sillage.Person{}, false, refuse("aucun identifiant exploitable dans la réponse (ni jointure AAF, ni INE)",
			"Le fournisseur d'identité n'a pas transmis d'identifiant permettant de vous reconnaître. "+askAdmin)
	}
	if err != nil {
		return sillage.Person{}, false, err
	}
	switch len(found) {
	case 0:
		return sillage.Person{}, false, refuse("identité inconnue de l'établissement",
			"Votre identité n'est rattachée à aucune personne de "+est.Name+" dans Sillage. "+askAdmin+
				" Il vérifiera que l'annuaire importé vous connaît.")
	case 1:
		return found[0], false, nil
	}
	return sillage.Person{}, false, refuse("identité ambiguë : plusieurs personnes correspondent",
		"Votre identité correspond à plusieurs personnes de "+est.Name+" : Sillage ne peut pas choisir. "+askAdmin)
}

// isParent reports whether an ÉduConnect affiliation is a legal
// representative's (resp1d, resp2d…) rather than a pupil's (eleve1d, eleve2d…).
func isParent(affiliation string) bool {
	a := strings.ToLower(strings.TrimSpace(affiliation))
	return strings.HasPrefix(a, "resp") || strings.HasPrefix(a, "parent")
}

// isPupil reports whether an ÉduConnect affiliation is a pupil's (eleve1d,
// eleve2d…).
func isPupil(affiliation string) bool {
	a := strings.ToLower(strings.TrimSpace(affiliation))
	return strings.HasPrefix(a, "eleve") || strings.HasPrefix(a, "élève") || strings.HasPrefix(a, "student")
}

// sameName compares names without case, accents, ligatures, spaces,
// dashes, apostrophes or other punctuation ("Lefèvre-Durand" is "LEFEVRE
// DURAND", "D'Almeida" is "dalmeida"): french.Fold's form, with only its
// letters and digits kept.
func sameName(a, b string) bool {
	fa := nameKey(a)
	return fa != "" && fa == nameKey(b)
}

func nameKey(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, french.Fold(s))
}
