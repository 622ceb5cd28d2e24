package lsu

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking the change)\n%s", name, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return ""
}

// generate runs Collect and Generate and fails on any blocking line.
func generate(t *testing.T, in *Input) ([]byte, *Report) {
	t.Helper()
	plan, rep := Collect(in)
	for _, l := range rep.Filter(Blocking) {
		t.Errorf("unexpected blocking line: %+v", l)
	}
	if plan == nil {
		t.Fatalf("no plan: %+v", rep.Lines)
	}
	var buf bytes.Buffer
	if err := Generate(&buf, plan); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if err := CheckReferences(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("CheckReferences: %v", err)
	}
	return buf.Bytes(), rep
}

// validFile writes data to a temporary file and validates it.
func validFile(t *testing.T, xsd string, data []byte) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lsu.xml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return Validate(context.Background(), xsd, path)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		in      func() *Input
		degree  Degree
		version string
		file    string
	}{
		{"collège 10.0", collegeInput, SecondDegree, Version10, "college_10.0.xml"},
		{"collège 7.0", collegeInput, SecondDegree, Version7, "college_7.0.xml"},
		{"école 1.0b", ecoleInput, FirstDegree, Version1b, "ecole_1.0b.xml"},
		{"école 1.0", ecoleInput, FirstDegree, Version1_0, "ecole_1.0.xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			in.Target.Version = tt.version
			got, rep := generate(t, in)
			golden(t, tt.file, got)

			var csv bytes.Buffer
			if err := rep.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(tt.file, ".xml")+".report.csv", csv.Bytes())

			// Same input, same bytes.
			in2 := tt.in()
			in2.Target.Version = tt.version
			again, _ := generate(t, in2)
			if !bytes.Equal(got, again) {
				t.Error("two generations of the same input differ")
			}

			requireXmllint(t)
			if err := validFile(t, schema(t, tt.degree, tt.version), got); err != nil {
				t.Errorf("generated file is not valid against the official %s XSD: %v", tt.version, err)
			}
		})
	}
}
