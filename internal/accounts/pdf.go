package accounts

import (
	"io"
	"time"

	"github.com/sillage/sillage/internal/pdfdoc"
)

// WritePDF writes a credential list as a PDF to hand out: a table, and the
// instructions for the first sign-in.
func WritePDF(w io.Writer, title string, at time.Time, creds []Credential) error {
	d := pdfdoc.New(title, at)
	d.Title(title)
	d.Note("Mots de passe provisoires : ils doivent être changés à la première connexion, après lecture de la notice sur les données personnelles. " +
		"Ce document est confidentiel : remettez à chacun sa ligne seulement.")
	rows := make([][]string, len(creds))
	for i, c := range creds {
		rows[i] = []string{c.Name, c.Role, c.Login, c.Password}
	}
	d.Table([]string{"Nom", "Profil", "Identifiant", "Mot de passe provisoire"}, []float64{0.3, 0.3, 0.22, 0.18}, rows)
	return d.Write(w)
}
