package accounts_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/pdfdoc"
)

// TestCredentialSlips: the list is one slip per person, each whole on one
// page with everything its holder needs, and the pages are as few as the
// slips allow.
func TestCredentialSlips(t *testing.T) {
	h := accounts.Handout{Title: "Identifiants de la classe 2NDE 3", At: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC),
		Establishment: "Lycée professionnel Les Terres Rouges", SignIn: "https://sillage.ac-exemple.fr/connexion"}
	for _, tt := range []struct{ people, pages int }{
		{1, 1},
		{4, 1},  // four slips fit under the title
		{5, 2},  // the fifth goes whole to the next page
		{17, 4}, // then five a page
	} {
		t.Run(fmt.Sprint(tt.people), func(t *testing.T) {
			var creds []accounts.Credential
			for i := range tt.people {
				c := accounts.Credential{Name: fmt.Sprintf("ŒUVRAY Léa-%02d", i), Role: "Élève", Class: "2NDE 3",
					Login: fmt.Sprintf("lea.oeuvray%d", i), Password: fmt.Sprintf("mdp%07d", i)}
				if i%2 == 1 {
					c.Role, c.Class = "Responsable de ŒUVRAY Léa", ""
				}
				creds = append(creds, c)
			}
			var buf bytes.Buffer
			if err := accounts.WritePDF(&buf, h, creds); err != nil {
				t.Fatal(err)
			}
			pages := pdfdoc.Pages(buf.Bytes())
			if len(pages) != tt.pages {
				t.Fatalf("%d slips on %d pages, want %d", tt.people, len(pages), tt.pages)
			}
			for _, c := range creds {
				on := 0
				for _, p := range pages {
					if !pdfdoc.PageHasText(p, c.Password) {
						continue
					}
					on++
					want := []string{h.Establishment, c.Name, c.Role, c.Login, h.SignIn, accounts.FirstSignIn}
					if c.Class != "" {
						want = append(want, "Classe :", c.Class)
					}
					for _, s := range want {
						if !pdfdoc.PageHasText(p, s) {
							t.Errorf("%s's slip: %q not on its page", c.Name, s)
						}
					}
				}
				if on != 1 {
					t.Errorf("%s's password on %d pages, want 1", c.Name, on)
				}
			}
			// The slips of guardians have no class line.
			if n := bytes.Count(bytes.Join(pages, nil), []byte{0, 'C', 0, 'l', 0, 'a', 0, 's', 0, 's', 0, 'e', 0, ' ', 0, ':'}); n != (tt.people+1)/2 {
				t.Errorf("%d class lines, want %d (students only)", n, (tt.people+1)/2)
			}
		})
	}
}
