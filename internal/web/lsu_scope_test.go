package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestLSUOfferedByKind: the Livret Scolaire (entry pages, export page,
// export route, menu) is offered to collèges and écoles; a lycée, general
// or professional, and an establishment of unknown kind are told why not,
// in French, on every engine.
func TestLSUOfferedByKind(t *testing.T) {
	cases := []struct {
		kind    sillage.EstablishmentKind
		offered bool
		reason  string
	}{
		{sillage.KindCollege, true, ""},
		{sillage.KindEcole, true, ""},
		{sillage.KindLGT, false, "ne s'applique pas à 0861300C, lycée général et technologique"},
		{sillage.KindLP, false, "ne s'applique pas à 0861300C, lycée professionnel"},
		{sillage.KindUnknown, false, "Le type de l'établissement 0861300C n'est pas connu"},
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			f := newFixtureOn(t, engine)
			for i, tc := range cases {
				t.Run(string(tc.kind), func(t *testing.T) {
					uai := scopeUAI(t, 1300+i)
					tc.reason = strings.ReplaceAll(tc.reason, "0861300C", string(uai))
					director := scopeEstablishment(t, f, uai, tc.kind)
					c := f.sessionOf(uai, director)
					for _, path := range []string{"/lsu", "/livret"} {
						resp := f.get(c, path)
						pg := parsePage(t, bodyOf(resp))
						if resp.StatusCode != http.StatusOK {
							t.Fatalf("%s: %d", path, resp.StatusCode)
						}
						explained := pg.count("#lsu-not-applicable") == 1
						if explained == tc.offered {
							t.Errorf("%s: explanation shown %v, LSU offered %v", path, explained, tc.offered)
						}
						if !tc.offered && (!pg.has("#lsu-not-applicable", tc.reason) || !pg.has("#lsu-not-applicable", "écoles") ||
							!pg.has("#lsu-not-applicable", "sillage establishment kind --uai "+string(uai))) {
							t.Errorf("%s: reason %q not in %q", path, tc.reason, pg.text("#lsu-not-applicable"))
						}
						if tc.offered && path == "/lsu" && !pg.has("h2", "Prérequis") {
							t.Errorf("/lsu: no prerequisites on the export page")
						}
						// The menu offers the Livret Scolaire only where it applies.
						for _, entry := range []string{"/lsu", "/livret"} {
							if got := pg.count(`nav.menu a[href="` + entry + `"]`); got != map[bool]int{true: 1, false: 0}[tc.offered] {
								t.Errorf("%s: menu entry %s shown %d times", path, entry, got)
							}
						}
					}
					// The export route refuses with the reason.
					status, body := f.do(c, "POST", "/lsu", url.Values{"portee": {"etablissement"}})
					if !tc.offered {
						if pg := parsePage(t, body); status != http.StatusConflict || !pg.has("#lsu-not-applicable", tc.reason) {
							t.Errorf("POST /lsu: %d %q", status, pg.text("#lsu-not-applicable"))
						}
					} else if status == http.StatusConflict {
						t.Errorf("POST /lsu refused for a %s", tc.kind)
					}
				})
			}
		})
	}
}

// scopeUAI is a valid UAI of number n in the 086 department.
func scopeUAI(t *testing.T, n int) sillage.UAI {
	t.Helper()
	digits := fmt.Sprintf("086%04d", n)
	l, err := sillage.UAICheckLetter(digits)
	if err != nil {
		t.Fatal(err)
	}
	return sillage.UAI(digits + string(l))
}

// scopeEstablishment adds an establishment of a kind with its director,
// who has an account.
func scopeEstablishment(t *testing.T, f *fixture, uai sillage.UAI, kind sillage.EstablishmentKind) sillage.Person {
	t.Helper()
	ctx := context.Background()
	director := sillage.Person{Role: sillage.RoleDirector, Civility: "MME", LastName: "FONTAINE", FirstName: "Claire", Source: sillage.SourceSTS, STSID: "900"}
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Établissement " + string(kind), Kind: kind}); err != nil {
			return err
		}
		if err := tx.People().CreatePerson(ctx, uai, &director); err != nil {
			return err
		}
		return withAccount(ctx, tx, uai, &director, "direction."+string(uai))
	})
	if err != nil {
		t.Fatal(err)
	}
	return director
}
