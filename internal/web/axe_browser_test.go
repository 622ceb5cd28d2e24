package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/browsertest"
)

// axeSource is axe-core (the accessibility engine of Deque, MPL-2.0), read
// from SILLAGE_TEST_AXE: .ci/axe.sh fetches it from the npm registry.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SILLAGE_TEST_AXE")
	if path == "" {
		if os.Getenv("SILLAGE_REQUIRE_AXE") == "1" {
			t.Fatal("SILLAGE_TEST_AXE is not set but SILLAGE_REQUIRE_AXE=1 (bash .ci/axe.sh)")
		}
		t.Skip("axe-core not available: SILLAGE_TEST_AXE=…/axe.min.js (bash .ci/axe.sh)")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

// axeViolation is what axe reports of a broken rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// TestBrowserAccessibility signs in as every role in chromium and runs axe
// (WCAG 2.1 A and AA rules) on every page the role can open: a serious or
// critical violation fails the test, naming the page, the rule and where.
func TestBrowserAccessibility(t *testing.T) {
	src := axeSource(t)
	f := newFixture(t)
	routes := f.srv.Routes()
	logins := map[sillage.Role]string{}
	for _, role := range matrixRoles {
		logins[role] = string(role) + "." + strings.ToLower(string(f.a.UAI))
	}
	logins["operator"] = "operateur"
	run := `(async () => { ` + src + `
		const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]});
		return JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical"));
	})()`
	for _, role := range matrixRoles {
		t.Run(string(role), func(t *testing.T) {
			c := f.session(f.a, role)
			var pages []string
			for _, rt := range routes {
				if rt.Method != http.MethodGet || rt.API || rt.Action == "" {
					continue
				}
				path, err := f.a.fill(rt.Path, role)
				if err != nil {
					continue
				}
				status, body := f.do(c, http.MethodGet, path, nil)
				if status == http.StatusOK && strings.HasPrefix(strings.ToLower(body), "<!doctype html") {
					pages = append(pages, path)
				}
			}
			if len(pages) == 0 {
				t.Fatalf("no page for %s", role)
			}
			b := browsertest.New(t)
			b.Do(chromedp.Navigate(f.ts.URL+"/connexion"), chromedp.WaitVisible(chromedp.CSS("#login")))
			pages = append([]string{"/connexion"}, pages...)
			b.Do(chromedp.SendKeys(chromedp.CSS("#login"), logins[role]),
				chromedp.SendKeys(chromedp.CSS("#password"), fixturePassword),
				chromedp.Submit(chromedp.CSS("#password")),
				chromedp.WaitNotPresent(chromedp.CSS("#password")))
			for _, p := range pages {
				if err := chromedp.Do(b.Ctx, chromedp.Navigate(f.ts.URL+p), chromedp.WaitReady(chromedp.CSS("body"))); err != nil {
					t.Fatalf("open %s: %v", p, err)
				}
				if u, err := url.Parse(b.Location()); p != "/connexion" && (err != nil || u.Path == "/connexion") {
					t.Fatalf("%s: sent back to the sign-in page", p)
				}
				out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("axe on %s: %v", p, err)
				}
				var vs []axeViolation
				if err := json.Unmarshal([]byte(out), &vs); err != nil {
					t.Fatalf("axe on %s: %v", p, err)
				}
				for _, v := range vs {
					var where []string
					for _, n := range v.Nodes {
						for _, x := range n.Target {
							if s, ok := x.(string); ok {
								where = append(where, s)
							}
						}
					}
					t.Errorf("%s: %s (%s) — %s — %s", p, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
				}
			}
			t.Logf("%d pages checked", len(pages))
		})
	}
}
