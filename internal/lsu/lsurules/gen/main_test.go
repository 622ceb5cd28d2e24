package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sillage/sillage/internal/sharedref"
)

// TestRulesUpToDate regenerates the rule tables from the official XSDs
// (read in place) and compares them with the committed rules_gen.go: the
// built-in rules cannot drift from the schemas, or from the generator.
func TestRulesUpToDate(t *testing.T) {
	ref := sharedref.Path(t, "lsu")
	out := filepath.Join(t.TempDir(), "rules_gen.go")
	if err := run(ref, out); err != nil {
		t.Fatalf("generating: %v", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../rules_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("rules_gen.go is not what the official XSDs give: run go generate ./internal/lsu/lsurules and commit it")
	}
}
