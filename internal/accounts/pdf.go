package accounts

import (
	"io"
	"time"

	"github.com/sillage/sillage/internal/pdfdoc"
)

// Handout is what every slip of a credential list shares.
type Handout struct {
	Title         string
	At            time.Time
	Establishment string // its name, heading each slip
	SignIn        string // the sign-in address
}

// FirstSignIn is the instruction printed on every slip.
const FirstSignIn = "À la première connexion, lisez la notice sur vos données puis choisissez votre mot de passe. Coupon personnel."

// WritePDF writes a credential list as a PDF to hand out: one slip per
// person, between cut lines, so each gets their own credentials and no
// one else's.
func WritePDF(w io.Writer, h Handout, creds []Credential) error {
	d := pdfdoc.New(h.Title, h.At)
	d.Title(h.Title)
	d.Note("Document confidentiel : découpez-le le long des pointillés et remettez à chacun son coupon seulement. " +
		"Les mots de passe sont provisoires.")
	slips := make([]pdfdoc.Slip, len(creds))
	for i, c := range creds {
		slips[i] = pdfdoc.Slip{Heading: h.Establishment, Note: FirstSignIn, Fields: [][2]string{
			{"Nom", c.Name},
			{"Profil", c.Role},
			{"Classe", c.Class},
			{"Identifiant", c.Login},
			{"Mot de passe provisoire", c.Password},
			{"Adresse de connexion", h.SignIn},
		}}
	}
	d.Slips(slips)
	return d.Write(w)
}
