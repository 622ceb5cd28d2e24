package records_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// content digests the establishment's record by natural keys (no ids), so
// that two stores can be compared.
func content(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT e.title, e.date, e.level, e.diploma, e.external_key FROM evaluations e WHERE e.uai = '0860012W' ORDER BY 1, 2`,
		`SELECT e.title, p.siecle_id, c.code, r.value FROM results r JOIN evaluations e ON e.uai = r.uai AND e.id = r.evaluation_id
			JOIN persons p ON p.uai = r.uai AND p.id = r.student_id JOIN competences c ON c.uai = r.uai AND c.id = r.competence_id
			WHERE r.uai = '0860012W' ORDER BY 1, 2, 3`,
		`SELECT e.title, p.siecle_id, m.text FROM comments m JOIN evaluations e ON e.uai = m.uai AND e.id = m.evaluation_id
			JOIN persons p ON p.uai = m.uai AND p.id = m.student_id WHERE m.uai = '0860012W' ORDER BY 1, 2`,
		`SELECT e.title, c.code FROM evaluation_competences g JOIN evaluations e ON e.uai = g.uai AND e.id = g.evaluation_id
			JOIN competences c ON c.uai = g.uai AND c.id = g.competence_id WHERE g.uai = '0860012W' ORDER BY 1, 2`,
		`SELECT p.siecle_id, s.kind, s.title, s.context, s.host, s.result, s.comment FROM sheets s JOIN persons p ON p.uai = s.uai AND p.id = s.student_id
			WHERE s.uai = '0860012W' ORDER BY 1, 3`,
		`SELECT s.title, a.name, a.sha256, a.size FROM attachments a JOIN sheets s ON s.uai = a.uai AND s.id = a.sheet_id WHERE a.uai = '0860012W' ORDER BY 1, 2`,
		`SELECT action FROM audit_log WHERE uai = '0860012W' ORDER BY seq`,
	} {
		rows, err := st.SQLDB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

var errInjected = errors.New("panne injectée")

// TestImportFailpoints fails the import at each of its steps: every failure
// leaves the establishment exactly as it was; a second run then ends in the
// state of an import that never failed.
func TestImportFailpoints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ref *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		req := func(blobs blob.Store) records.ImportRequest {
			return records.ImportRequest{UAI: uai, Actor: audit.Actor{Role: "administrator", Name: "Admin"}, Blobs: blobs}
		}
		newSchool(t, ref)
		refBlobs, _ := blob.Open(t.TempDir(), 1<<20)
		defer refBlobs.Close()
		steps := 0
		records.SetFailpoint(func(string) error { steps++; return nil })
		defer records.SetFailpoint(nil)
		if _, err := records.Import(ctx, ref, req(refBlobs), strings.NewReader(mixed())); err != nil {
			t.Fatal(err)
		}
		want := content(t, ref)
		if steps < 8 {
			t.Fatalf("only %d failpoint steps in an import", steps)
		}
		kind := ref.Kind()
		for k := 1; k <= steps; k++ {
			st := storetest.Open(t, kind, &storetest.Clock{T: storetest.Epoch})
			newSchool(t, st)
			blobs, _ := blob.Open(t.TempDir(), 1<<20)
			before := content(t, st)
			n, at := 0, ""
			records.SetFailpoint(func(name string) error {
				n++
				if n == k {
					at = name
					return errInjected
				}
				return nil
			})
			_, err := records.Import(ctx, st, req(blobs), strings.NewReader(mixed()))
			if !errors.Is(err, errInjected) {
				t.Fatalf("failure at step %d (%s): %v", k, at, err)
			}
			if got := content(t, st); got != before {
				t.Fatalf("failure at step %d (%s) left a partial import:\n%s", k, at, got)
			}
			records.SetFailpoint(nil)
			if _, err := records.Import(ctx, st, req(blobs), strings.NewReader(mixed())); err != nil {
				t.Fatalf("re-run after a failure at step %d: %v", k, err)
			}
			if got := content(t, st); got != want {
				t.Fatalf("re-run after a failure at step %d (%s):\n got %s\nwant %s", k, at, got, want)
			}
			blobs.Close()
		}
		t.Logf("%d failure points checked", steps)
	})
}

// FuzzImport: whatever the file, an import never panics, fails only as
// "invalid", and a dry run changes nothing.
func FuzzImport(f *testing.F) {
	f.Add(mixed())
	f.Add(`{"format": "sillage-livrets", "version": 1, "eleves": []}`)
	f.Add(`{"format": "sillage-livrets", "version": 1, "eleves": [{"eleve_id": "E1", "fiches": [{"type": "bep", "intitule": "x", "contexte": "pfmp"}]}]}`)
	f.Add(`{"eleves": [{"eleve_id": "E1", "evaluations": [{"titre": "t", "date": "2025-02-30", "diplome": "24732205", "resultats": [{"competence": 3}]}]}], "format": "sillage-livrets", "version": 1}`)
	st := storetest.Open(f, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	newSchool(f, st)
	blobs, _ := blob.Open(f.TempDir(), 1<<20)
	ctx := context.Background()
	var before string
	f.Fuzz(func(t *testing.T, file string) {
		if before == "" {
			before = content(t, st)
		}
		_, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, DryRun: true, Blobs: blobs}, strings.NewReader(file))
		if err != nil && sillage.KindOf(err) != sillage.KindInvalid {
			t.Fatalf("error of kind %v: %v", sillage.KindOf(err), err)
		}
		if content(t, st) != before {
			t.Fatal("a dry run changed the establishment")
		}
	})
}
