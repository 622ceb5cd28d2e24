// Command gen turns the official LSU XSDs into the rule tables of package
// lsurules (rules_gen.go): the XSDs themselves cannot be shipped, and a new
// instance has none on disk. Run by go generate in internal/lsu/lsurules:
//
//	go run ./gen -ref ../../../../shared/reference/lsu -out rules_gen.go
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sillage/sillage/internal/xsd"
)

// sources are the schema versions Sillage writes, each with the folder of
// its official XSD under shared/reference/lsu (one .xsd file in it).
var sources = []struct{ name, dir string }{
	{"rules2D10", "2d/v10.0_2025-08_openent"},
	{"rules2D7", "2d/v7.0_2023-12_openent"},
	{"rules1D10b", "1d/v1.0b_2017-04_sacoche"},
	{"rules1D10", "1d/v1.0_2017-02_sacoche"},
}

func main() {
	ref := flag.String("ref", "", "folder laid out like shared/reference/lsu")
	out := flag.String("out", "rules_gen.go", "file to write")
	flag.Parse()
	if err := run(*ref, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(ref, out string) error {
	var names []string
	var schemas []*xsd.Schema
	var header strings.Builder
	header.WriteString("Rule tables derived from the official LSU schemas (XSD), one per version:\n")
	for _, s := range sources {
		files, err := filepath.Glob(filepath.Join(ref, s.dir, "*.xsd"))
		if err != nil || len(files) != 1 {
			return fmt.Errorf("%s : un seul fichier .xsd attendu (%d trouvé(s))", s.dir, len(files))
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			return err
		}
		sc, err := xsd.Compile(data)
		if err != nil {
			return fmt.Errorf("%s : %w", files[0], err)
		}
		fmt.Fprintf(&header, "%s: %s/%s sha256 %x\n", s.name, s.dir, filepath.Base(files[0]), sha256.Sum256(data))
		names = append(names, s.name)
		schemas = append(schemas, sc)
	}
	src, err := xsd.GoSource("lsurules", header.String(), names, schemas)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644)
}
