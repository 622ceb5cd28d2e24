package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// crossTenantAllowed are the packages (directories from the module root)
// that may reach the CrossTenant view: it reads and writes the data of
// several establishments, so a page handler must never reach it; it goes
// through a capability package that checks who may see what.
var crossTenantAllowed = map[string]bool{
	"cmd/sillage":        true,
	"internal/accounts":  true,
	"internal/audit":     true,
	"internal/backup":    true,
	"internal/demo":      true,
	"internal/directory": true,
	// federation: the origin instance finds the student a peer asks for
	// by federation hash in the transfer index of all its establishments;
	// the protocol writes the transfer log and its own state tables, like
	// the transfer engine.
	"internal/federation": true,
	"internal/instance":   true,
	"internal/jobs":       true,
	"internal/rollover":   true,
	"internal/store":      true,
	"internal/transfer":   true,
}

// crossTenantFixtures are test files of fenced packages that seed
// cross-tenant fixtures (another establishment's index entries, the blob
// references a page wrote); their package's code stays fenced.
var crossTenantFixtures = map[string]bool{
	"internal/web/lsu_web_test.go":       true,
	"internal/web/transfer_load_test.go": true,
	"internal/web/transfer_test.go":      true,
}

// TestCrossTenantFence parses every Go file of the module, tests included,
// and fails when a package outside crossTenantAllowed names the fenced view
// (the accessor or the type).
func TestCrossTenantFence(t *testing.T) {
	root := filepath.Join("..", "..")
	reached := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && fenceSkipDir(path, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		found := false
		ast.Inspect(f, func(n ast.Node) bool {
			if se, ok := n.(*ast.SelectorExpr); ok && se.Sel.Name == "CrossTenant" {
				found = true
			}
			return !found
		})
		if !found {
			return nil
		}
		reached++
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !crossTenantAllowed[filepath.ToSlash(filepath.Dir(rel))] && !crossTenantFixtures[rel] {
			t.Errorf("%s reaches the CrossTenant view: only %v may (move the call into a capability package)", rel, crossTenantAllowedList())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reached == 0 {
		t.Fatal("no file reaches the CrossTenant view: the walk did not find the module")
	}
}

// fenceSkipDir skips hidden directories, testdata, vendored code and nested
// modules.
func fenceSkipDir(path, name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor" || name == "node_modules" {
		return true
	}
	_, err := os.Stat(filepath.Join(path, "go.mod"))
	return err == nil
}

func crossTenantAllowedList() []string {
	var l []string
	for d := range crossTenantAllowed {
		l = append(l, d)
	}
	sort.Strings(l)
	return l
}
