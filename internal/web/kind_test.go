package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// TestOperatorSetsKind: the operator sets an establishment's kind on their
// page, as the command line does: an unknown kind shows with nothing
// chosen, a bad value is refused in French and changes nothing, a good one
// is recorded, journalled in the establishment's chain, and the flash says
// whether the Livret Scolaire Unique now concerns the establishment.
func TestOperatorSetsKind(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	letter, err := sillage.UAICheckLetter("0990001")
	if err != nil {
		t.Fatal(err)
	}
	uaiC := sillage.UAI("0990001" + string(letter))
	err = f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiC, Name: "École C", Kind: sillage.KindUnknown})
	})
	if err != nil {
		t.Fatal(err)
	}
	op := f.session(f.a, "operator")
	row := func(uai sillage.UAI) string { return "#establishments tr:has(#kind-" + string(uai) + ")" }
	operatorPage := func() page {
		t.Helper()
		status, body := f.do(op, "GET", "/operateur", nil)
		if status != http.StatusOK {
			t.Fatalf("GET /operateur: %d", status)
		}
		return parsePage(t, body)
	}
	kindOf := func(uai sillage.UAI) sillage.EstablishmentKind {
		t.Helper()
		var e sillage.Establishment
		err := f.st.Read(ctx, func(tx *store.Tx) (err error) {
			e, err = tx.Establishments().GetEstablishment(ctx, uai)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return e.Kind
	}
	journalled := func(uai sillage.UAI) int {
		t.Helper()
		var es []sillage.AuditEntry
		err := f.st.Read(ctx, func(tx *store.Tx) (err error) {
			es, err = tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: audit.EstablishmentKind})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	pg := operatorPage()
	if !pg.has(row(uaiC)+" .kind", "Type inconnu") {
		t.Errorf("unknown kind: %q", pg.text(row(uaiC)+" .kind"))
	}
	if n := pg.count(row(uaiC) + " select[name=type] option[selected]"); n != 0 {
		t.Errorf("unknown kind: %d option(s) chosen, want the select empty", n)
	}
	if got := pg.texts(row(uaiC) + " select[name=type] option[value!='']"); len(got) != 4 || got[0] != "Collège" || got[1] != "École" ||
		got[2] != "Lycée professionnel" || got[3] != "Lycée général et technologique" {
		t.Errorf("the four kinds in French: %q", got)
	}
	if pg.attr(row(uaiC)+" form", "method") != "post" || pg.attr(row(uaiC)+" form", "action") != "/operateur/etablissement/type" ||
		pg.attr(row(uaiC)+" input[name=uai]", "value") != string(uaiC) || !pg.has(row(uaiC)+" button", "Enregistrer") {
		t.Errorf("the form of %s is not a post of its UAI with « Enregistrer »", uaiC)
	}
	if pg.attr(row(f.a.UAI)+" option[selected]", "value") != string(sillage.KindCollege) {
		t.Errorf("a known kind is not the chosen option")
	}

	// A bad value: a French refusal, nothing changed, nothing journalled.
	for _, bad := range []string{"lycee", "", "unknown"} {
		status, body := f.do(op, "POST", "/operateur/etablissement/type", url.Values{"uai": {string(uaiC)}, "type": {bad}})
		if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "type d'établissement") {
			t.Errorf("type %q: %d %q", bad, status, parsePage(t, body).text(".error-message"))
		}
	}
	if k := kindOf(uaiC); k != sillage.KindUnknown || journalled(uaiC) != 0 {
		t.Fatalf("a refused value changed the kind to %q or was journalled", k)
	}

	// Others than the operator are refused.
	admin := f.session(f.a, sillage.RoleAdministrator)
	if status, _ := f.do(admin, "POST", "/operateur/etablissement/type", url.Values{"uai": {string(f.a.UAI)}, "type": {"lp"}}); status != http.StatusForbidden {
		t.Errorf("an administrator sets the kind: %d", status)
	}

	for _, tc := range []struct {
		uai   sillage.UAI
		kind  sillage.EstablishmentKind
		label string
		flash string
	}{
		{uaiC, sillage.KindEcole, "École", "Type de l'établissement enregistré : école — le Livret Scolaire Unique lui est proposé."},
		{f.a.UAI, sillage.KindLP, "Lycée professionnel", "Type de l'établissement enregistré : lycée professionnel — le Livret Scolaire Unique ne le concerne pas."},
	} {
		status, _ := f.do(op, "POST", "/operateur/etablissement/type", url.Values{"uai": {string(tc.uai)}, "type": {string(tc.kind)}})
		if status != http.StatusSeeOther {
			t.Fatalf("%s → %s: %d", tc.uai, tc.kind, status)
		}
		pg := operatorPage()
		if !pg.has(".flash", tc.flash) {
			t.Errorf("flash %q, want %q", pg.text(".flash"), tc.flash)
		}
		if !pg.has(row(tc.uai)+" .kind", tc.label) || pg.attr(row(tc.uai)+" option[selected]", "value") != string(tc.kind) {
			t.Errorf("%s after: %q, chosen %q", tc.uai, pg.text(row(tc.uai)+" .kind"), pg.attr(row(tc.uai)+" option[selected]", "value"))
		}
		if kindOf(tc.uai) != tc.kind || journalled(tc.uai) != 1 {
			t.Errorf("%s: kind %q in the store, %d journal entries", tc.uai, kindOf(tc.uai), journalled(tc.uai))
		}
	}
}
