package federation_test

import (
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/records"
)

// TestDigestGolden: the digest of a small record, computed independently
// (a few lines of Python over the documented canonical form), with and
// without a sheet's per-competence results. A record without them keeps
// the digest instances computed before sheets carried competences; the
// order of results, competences and files does not change it.
func TestDigestGolden(t *testing.T) {
	record := func(competences ...records.SheetCompetence) records.Student {
		return records.Student{
			Evaluations: []records.Evaluation{{Date: "2025-09-01", Title: "Évaluation 1", Level: "Première professionnelle", Diploma: "40025214",
				Results: []records.Result{{Competence: "C1.1", Value: "3"}}}},
			Sheets: []records.Sheet{{Kind: "bacpro", Title: "Situation 1", Context: "classe", Class: "Atelier",
				Evaluation: &records.SheetEvaluation{Author: &records.Author{Name: "Anne PROF"}, Result: "3", Comment: "Maîtrisé", Competences: competences},
				Files:      []records.Attachment{{Name: "cr.pdf", SHA256: strings.Repeat("ab", 32), Size: 120, Type: "application/pdf"}}}},
		}
	}
	for _, c := range []struct {
		name string
		s    records.Student
		want string
	}{
		{"with competences", record(records.SheetCompetence{Competence: "C1.2", Value: "4"},
			records.SheetCompetence{Competence: "C1.1", Value: "2", Comment: "Critère observé"}),
			"5d4f3314491ebcfb26eb22156b26a44a21714fa3b5571d85984deb02bc875449"},
		{"without", record(), "3ca27ff93bf78b6b84004c266477a62c808e62fc483655ec9b03d9e6b866efbf"},
	} {
		if got := federation.Digest(c.s); got != c.want {
			t.Errorf("%s: digest %s, want %s", c.name, got, c.want)
		}
	}
}
