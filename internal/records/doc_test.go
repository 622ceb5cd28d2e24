package records_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// codeBlocks returns the fenced blocks of a Markdown file.
func codeBlocks(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	parts := strings.Split(string(data), "```")
	for i := 1; i < len(parts); i += 2 {
		block := parts[i]
		if nl := strings.IndexByte(block, '\n'); nl >= 0 {
			block = block[nl+1:]
		}
		out = append(out, block)
	}
	return out
}

// TestDocumentationExample imports the example of docs/records-json.md into
// the establishment it describes (a referential without C5) and checks the
// report is the one the documentation prints.
func TestDocumentationExample(t *testing.T) {
	blocks := codeBlocks(t, "../../docs/records-json.md")
	if len(blocks) < 2 {
		t.Fatal("docs/records-json.md must hold the example file and its report")
	}
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP}); err != nil {
			return err
		}
		ref := sillage.Referential{Diploma: "24725510", Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC",
			Competences: []sillage.Competence{{Code: "C1", Label: "a"}, {Code: "C3", Label: "b"}}}
		if err := tx.Records().CreateReferential(ctx, uai, &ref); err != nil {
			return err
		}
		d := sillage.Division{SchoolYear: 2025, Code: "1MELEC"}
		if err := tx.People().CreateDivision(ctx, uai, &d); err != nil {
			return err
		}
		p := sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", STSID: "12345", Source: sillage.SourceSTS}
		if err := tx.People().CreatePerson(ctx, uai, &p); err != nil {
			return err
		}
		s := sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", SIECLEID: "4521337", Source: sillage.SourceSIECLE}, DivisionID: d.ID,
			Diploma: "24725510"}
		return tx.People().CreateStudent(ctx, uai, &s)
	})
	if err != nil {
		t.Fatal(err)
	}
	blobs, _ := blob.Open(t.TempDir(), 1<<20)
	defer blobs.Close()
	rep, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: audit.System, Blobs: blobs}, strings.NewReader(blocks[0]))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	if got, want := strings.TrimSpace(out.String()), strings.TrimSpace(blocks[1]); got != want {
		t.Errorf("report of the documented example:\n%s\n\ndocumentation says:\n%s", got, want)
	}
	// The sheet's per-competence results (version 2) came in.
	if err := st.Read(ctx, func(tx *store.Tx) error {
		rs, err := tx.Records().ListSheetResults(ctx, uai, 0)
		if err == nil && (len(rs) != 2 || rs[1].Code != "C3" || rs[1].Value != "4" || rs[1].Comment == "") {
			t.Errorf("per-competence results of the example's sheet: %+v", rs)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
