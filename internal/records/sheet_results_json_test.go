package records_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const sheetCompetencesFile = `{"format": "sillage-livrets", "version": 2, "eleves": [
  {"eleve_id": "E1", "fiches": [
    {"cle": "fiche-1", "type": "bacpro", "intitule": "Pose d'un tableau", "contexte": "classe",
     "evaluation": {"resultat": "3", "commentaire": "Bien.", "competences": [
       {"competence": "C1", "valeur": "3", "commentaire": "Méthodique."},
       {"competence": "C2", "valeur": "abs"},
       {"competence": "C9", "valeur": "2"},
       {"competence": "C3", "valeur": "7"},
       {"competence": "C1", "valeur": "4"},
       {"competence": "C4"},
       {"competence": "C3", "commentaire": "À revoir."}
     ]}}
  ]}
]}`

// sheetResultsOf returns a sheet's per-competence results as "code=value
// (comment)" in the referential's order.
func sheetResultsOf(t *testing.T, st *store.Store, key string) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	err := st.Read(ctx, func(tx *store.Tx) error {
		stu, err := tx.People().GetStudentBySIECLEID(ctx, uai, "E1")
		if err != nil {
			return err
		}
		ref, err := tx.Records().FindSheetByKey(ctx, uai, stu.ID, key)
		if err != nil {
			return err
		}
		rs, err := tx.Records().ListResultsOfSheet(ctx, uai, ref.ID)
		for _, x := range rs {
			out = append(out, fmt.Sprintf("%s=%s (%s)", x.Code, x.Value, x.Comment))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, ", ")
}

// TestSheetResultsInRecordsJSON: a sheet's per-competence results
// (version 2 of the format) are imported after the checks of a teacher's
// entry (each bad one rejected alone, with its position), exported, and
// an export re-imported changes nothing; a result changed since is put
// back by importing the export; a version 1 file still imports and keeps
// the per-competence results of a sheet it finds. Both engines.
func TestSheetResultsInRecordsJSON(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		newSchool(t, st)
		admin := audit.Actor{Role: "administrator", Name: "Admin"}
		imp := func(doc string) *records.Report {
			t.Helper()
			rep, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin}, strings.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		rep := imp(sheetCompetencesFile)
		var rejected []string
		for _, r := range rep.Rejected {
			rejected = append(rejected, r.Position)
		}
		wantRejected := "eleves[0].fiches[0].evaluation.competences[2] eleves[0].fiches[0].evaluation.competences[3] eleves[0].fiches[0].evaluation.competences[4]"
		if rep.SheetsCreated != 1 || strings.Join(rejected, " ") != wantRejected {
			t.Fatalf("import: %d sheet(s) created, rejected %v (%+v)", rep.SheetsCreated, rejected, rep.Rejected)
		}
		const want = "C1=3 (Méthodique.), C2=ABS (), C3= (À revoir.)"
		if got := sheetResultsOf(t, st, "fiche-1"); got != want {
			t.Fatalf("per-competence results %q, want %q", got, want)
		}

		// Exported in version 2, in the referential's order.
		var out bytes.Buffer
		if err := records.Export(ctx, st, records.ExportRequest{UAI: uai, Actor: admin, ExternalIDs: true}, &out); err != nil {
			t.Fatal(err)
		}
		var f records.File
		if err := json.Unmarshal(out.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		var got []records.SheetCompetence
		for _, s := range f.Students {
			for _, sh := range s.Sheets {
				if sh.Evaluation != nil {
					got = append(got, sh.Evaluation.Competences...)
				}
			}
		}
		wantJSON := []records.SheetCompetence{{Competence: "C1", Value: "3", Comment: "Méthodique."}, {Competence: "C2", Value: "ABS"}, {Competence: "C3", Comment: "À revoir."}}
		if f.Version != 2 || fmt.Sprint(got) != fmt.Sprint(wantJSON) {
			t.Fatalf("export version %d, competences %+v, want %+v", f.Version, got, wantJSON)
		}

		// The export re-imported changes nothing.
		before := digest(t, st)
		rep = imp(out.String())
		if rep.Changed() || len(rep.Rejected) != 0 || rep.SheetsUnchanged != 1 {
			t.Fatalf("re-import of the export: %+v", rep)
		}
		if digest(t, st) != before {
			t.Fatal("re-import of the export changed the tables")
		}

		// A result changed (and one lost) since: the export puts them back.
		if err := st.Write(ctx, func(tx *store.Tx) error {
			stu, err := tx.People().GetStudentBySIECLEID(ctx, uai, "E1")
			if err != nil {
				return err
			}
			ref, err := tx.Records().FindSheetByKey(ctx, uai, stu.ID, "fiche-1")
			if err != nil {
				return err
			}
			rs, err := tx.Records().ListResultsOfSheet(ctx, uai, ref.ID)
			if err != nil {
				return err
			}
			rs[0].Value = "1"
			return tx.Records().SetSheetResults(ctx, uai, ref.ID, rs[:2])
		}); err != nil {
			t.Fatal(err)
		}
		rep = imp(out.String())
		if rep.SheetsUpdated != 1 || len(rep.Rejected) != 0 {
			t.Fatalf("import over changed results: %+v", rep)
		}
		if got := sheetResultsOf(t, st, "fiche-1"); got != want || digest(t, st) != before {
			t.Fatalf("after re-import: %q, want %q", got, want)
		}

		// A version 1 file (no "competences") still imports and keeps the
		// found sheet's per-competence results.
		old := f
		old.Version = 1
		for i := range old.Students {
			for j := range old.Students[i].Sheets {
				if e := old.Students[i].Sheets[j].Evaluation; e != nil {
					e.Competences = nil
				}
			}
		}
		raw, err := json.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		v1 := string(raw)
		if !strings.Contains(v1, `"version":1`) || strings.Contains(v1, `"competences"`) || !strings.Contains(v1, `"evaluation"`) {
			t.Fatalf("version 1 file not made:\n%s", v1)
		}
		rep = imp(v1)
		if rep.SheetsUnchanged != 1 || rep.Changed() || len(rep.Rejected) != 0 {
			t.Fatalf("version 1 import: %+v", rep)
		}
		if got := sheetResultsOf(t, st, "fiche-1"); got != want {
			t.Fatalf("a version 1 import changed the per-competence results: %q", got)
		}

		// An empty list empties them; a version to come is refused whole.
		doc := strings.Replace(sheetCompetencesFile, `"competences": [`, `"competences": [], "ignore": [`, 1)
		rep = imp(doc)
		if rep.SheetsUpdated != 1 || sheetResultsOf(t, st, "fiche-1") != "" {
			t.Fatalf("empty list: %+v, results %q", rep, sheetResultsOf(t, st, "fiche-1"))
		}
		_, err = records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin}, strings.NewReader(strings.Replace(sheetCompetencesFile, `"version": 2`, `"version": 3`, 1)))
		if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), "version 3") {
			t.Fatalf("version 3: %v", err)
		}
	})
}
