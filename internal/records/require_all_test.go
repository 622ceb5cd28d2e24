package records_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestImportRequireAll: with RequireAll (a record received from another
// instance) one rejected item refuses the whole file; without it the good
// items go in and the bad one is reported.
func TestImportRequireAll(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		newSchool(t, st)
		before := digest(t, st)
		body := `{"format": "sillage-livrets", "version": 1, "eleves": [{"eleve_id": "E1", "evaluations": [
			{"titre": "Bon", "date": "2025-10-02", "diplome": "24732205", "resultats": [{"competence": "C1", "valeur": "3"}]},
			{"titre": "Mauvais", "date": "2025-10-02", "diplome": "24732205", "resultats": [{"competence": "INCONNUE", "valeur": "3"}]}]}]}`
		_, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, RequireAll: true}, strings.NewReader(body))
		if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), "rien n'a été importé") {
			t.Fatalf("RequireAll with a rejected item: %v, want the whole file refused", err)
		}
		if digest(t, st) != before {
			t.Fatal("a refused file changed the database")
		}
		rep, err := records.Import(ctx, st, records.ImportRequest{UAI: uai}, strings.NewReader(body))
		if err != nil || len(rep.Rejected) != 1 || rep.ResultsAdded != 1 {
			t.Fatalf("without RequireAll: %+v, %v", rep, err)
		}
	})
}
