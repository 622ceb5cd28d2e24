package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// TestOperatorJournalRedacted: the operator reads every chain, but an
// establishment entry's author, target and details (a student's name) are
// masked on the page and in the CSV; the establishment reads them whole;
// the instance's own entries stay whole for the operator.
func TestOperatorJournalRedacted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if err := audit.Record(ctx, tx, f.a.UAI, audit.Actor{ID: 1, Role: string(sillage.RoleAdministrator), Name: "Mme PROVISEURE"},
			audit.RecordDownloaded, "Dossier de ZÉPHYRIN Léonie", "dossier-zephyrin.zip"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "", audit.Actor{Role: "operator", Name: "operateur"}, audit.EstablishmentCreated, "0990001X", "Lycée Nouveau")
	})
	if err != nil {
		t.Fatal(err)
	}
	op := f.session(f.a, "operator")
	for _, path := range []string{"/operateur/journal", "/operateur/journal.csv"} {
		status, body := f.do(op, "GET", path, nil)
		if status != 200 {
			t.Fatalf("%s: %d", path, status)
		}
		// Anywhere in the bytes, attributes included: a redacted name must
		// not travel at all.
		for _, secret := range []string{"ZÉPHYRIN", "zephyrin", "PROVISEURE"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows %q to the operator", path, secret)
			}
		}
		shows := func(want string) bool { return strings.Contains(body, want) } // the CSV
		if !strings.HasSuffix(path, ".csv") {
			pg := parsePage(t, body)
			shows = func(want string) bool { return pg.has("#journal td", want) }
		}
		if !shows("masqué") || !shows("Lycée Nouveau") {
			t.Errorf("%s: the redaction or the instance's entry is missing: %.600s", path, body)
		}
	}
	admin := f.session(f.a, sillage.RoleAdministrator)
	if status, body := f.do(admin, "GET", "/journal", nil); status != 200 || !parsePage(t, body).has("#journal td", "ZÉPHYRIN Léonie") {
		t.Fatalf("the establishment's own journal: %d", status)
	}
}
