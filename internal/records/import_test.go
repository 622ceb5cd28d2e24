package records_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const uai = sillage.UAI("0860012W")

// school is a small establishment: a referential, a division, a teacher
// and three students known by their SIECLE ELEVE_ID.
type school struct {
	ref      sillage.Referential
	division sillage.Division
	teacher  sillage.Person
	students map[string]sillage.Student
}

func newSchool(t testing.TB, st *store.Store) *school {
	t.Helper()
	ctx := context.Background()
	s := &school{students: map[string]sillage.Student{}}
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée des métiers", Kind: sillage.KindLP}); err != nil {
			return err
		}
		s.ref = sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN", Competences: []sillage.Competence{
			{Domain: "Préparer", Code: "C1", Label: "S'informer"}, {Domain: "Préparer", Code: "C2", Label: "Organiser"},
			{Domain: "Réaliser", Code: "C3", Label: "Installer"}, {Domain: "Réaliser", Code: "C4", Label: "Contrôler"}}}
		if err := tx.Records().CreateReferential(ctx, uai, &s.ref); err != nil {
			return err
		}
		s.division = sillage.Division{SchoolYear: 2025, Code: "1SN", Label: "1re SN"}
		if err := tx.People().CreateDivision(ctx, uai, &s.division); err != nil {
			return err
		}
		s.teacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", STSID: "T1", Source: sillage.SourceSTS}
		if err := tx.People().CreatePerson(ctx, uai, &s.teacher); err != nil {
			return err
		}
		for _, id := range []string{"E1", "E2", "E3"} {
			stu := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: id, SIECLEID: id, Source: sillage.SourceSIECLE},
				Diploma: "24732205", DivisionID: s.division.ID}
			if err := tx.People().CreateStudent(ctx, uai, &stu); err != nil {
				return err
			}
			s.students[id] = stu
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// digest summarises the record tables of the establishment.
func digest(t *testing.T, st *store.Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, title, date, level, diploma, referential_id, author_id, division_id, external_key FROM evaluations WHERE uai = '0860012W' ORDER BY id`,
		`SELECT evaluation_id, student_id, competence_id, value FROM results WHERE uai = '0860012W' ORDER BY 1, 2, 3`,
		`SELECT evaluation_id, student_id, text FROM comments WHERE uai = '0860012W' ORDER BY 1, 2`,
		`SELECT evaluation_id, competence_id FROM evaluation_competences WHERE uai = '0860012W' ORDER BY 1, 2`,
		`SELECT id, student_id, kind, title, context, host, author_id, result, comment, external_key FROM sheets WHERE uai = '0860012W' ORDER BY id`,
		`SELECT sheet_id, name, sha256, size, content_type FROM attachments WHERE uai = '0860012W' ORDER BY 1, 2`,
		`SELECT sheet_id, competence_id, value, comment FROM sheet_results WHERE uai = '0860012W' ORDER BY 1, 2`,
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

func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

const mixedFile = `{
  "format": "sillage-livrets",
  "version": 1,
  "uai": "0860012W",
  "eleves": [
    {"eleve_id": "E1", "nom": "Élève", "evaluations": [
      {"titre": "Câblage d'un tableau", "date": "2025-10-02", "diplome": "24732205310", "niveau": "Première", "division": "1SN",
       "auteur": {"nom": "MARTIN Anne", "sts_id": "T1"},
       "resultats": [{"competence": "C1", "valeur": "3"}, {"competence": "C9", "valeur": "2"}, {"competence": "C2", "valeur": "7"},
                     {"competence": "C3", "valeur": "abs"}],
       "commentaire": "Bon travail."},
      {"titre": "Date fausse", "date": "2025-13-01", "diplome": "24732205", "resultats": [{"competence": "C1", "valeur": "1"}]},
      {"titre": "Autre diplôme", "date": "2025-10-03", "diplome": "99999999", "resultats": [{"competence": "C1", "valeur": "1"}]}
    ],
    "fiches": [
      {"type": "bacpro", "intitule": "Installation d'une alarme", "contexte": "pfmp", "pfmp_debut": "2025-11-03", "pfmp_fin": "2025-11-28",
       "organisme_accueil": "Électricité Dupont", "description": "Pose et mise en service.",
       "evaluation": {"auteur": {"nom": "MARTIN Anne"}, "resultat": "4", "commentaire": "Très autonome."},
       "fichiers": [{"nom": "rapport.pdf", "contenu_base64": "%s"}, {"nom": "faux.pdf", "contenu_base64": "%s"}, {"nom": "../x.pdf", "contenu_base64": "%s"}]},
      {"type": "cap", "intitule": "Fiche d'un autre type", "contexte": "classe"}
    ]},
    {"eleve_id": "E9", "evaluations": [{"titre": "X", "date": "2025-10-02", "diplome": "24732205"}]},
    {"eleve_id": "E2", "evaluations": [
      {"titre": "Câblage d'un tableau", "date": "2025-10-02", "diplome": "24732205", "auteur": {"sts_id": "T1"},
       "resultats": [{"competence": "C1", "valeur": "2"}, {"competence": "C4", "valeur": "4"}, {"competence": "C4", "valeur": "3"}]},
      {"cle": "logiciel-42", "titre": "Contrôle", "date": "2025-10-10", "diplome": "24732205", "auteur": {"nom": "Inconnu Paul"},
       "resultats": [{"competence": "C2", "valeur": "DISP"}], "commentaire": "Dispensé."}
    ]},
    {"nom": "Sans identifiant"},
    {"eleve_id": "E3", "evaluations": "pas une liste"}
  ]
}`

func mixed() string {
	pdf := base64.StdEncoding.EncodeToString(samplePDF("rapport"))
	fake := base64.StdEncoding.EncodeToString([]byte("texte déguisé en PDF"))
	return fmt.Sprintf(mixedFile, pdf, fake, pdf)
}

func TestImportMixedThenAgain(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		s := newSchool(t, st)
		dir := t.TempDir()
		blobs, err := blob.Open(dir, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer blobs.Close()
		req := records.ImportRequest{UAI: uai, Actor: audit.Actor{Role: "administrator", Name: "Admin"}, Blobs: blobs}
		before, beforeFiles := digest(t, st), blobFiles(t, dir)

		// A dry run reports everything and changes nothing.
		req.DryRun = true
		dry, err := records.Import(ctx, st, req, strings.NewReader(mixed()))
		if err != nil {
			t.Fatal(err)
		}
		if digest(t, st) != before || !reflect.DeepEqual(blobFiles(t, dir), beforeFiles) {
			t.Fatal("the dry run changed the database or stored a file")
		}

		req.DryRun = false
		rep, err := records.Import(ctx, st, req, strings.NewReader(mixed()))
		if err != nil {
			t.Fatal(err)
		}
		rejects := map[string]string{}
		for _, r := range rep.Rejected {
			rejects[r.Position] = r.Reason
		}
		want := map[string]string{
			"eleves[0].evaluations[0].resultats[1]": "compétence « C9 » inconnue",
			"eleves[0].evaluations[0].resultats[2]": "valeur \"7\" hors de l'échelle",
			"eleves[0].evaluations[1]":              "date « 2025-13-01 » invalide",
			"eleves[0].evaluations[2]":              "aucun référentiel pour le diplôme 99999999",
			"eleves[0].fiches[0].fichiers[1]":       "n'est pas un PDF",
			"eleves[0].fiches[0].fichiers[2]":       "séparateur",
			"eleves[0].fiches[1]":                   "type de fiche « cap » inconnu",
			"eleves[1]":                             "élève inconnu",
			"eleves[2].evaluations[0].resultats[2]": "résultat en double",
			"eleves[3]":                             "« eleve_id » manquant",
			"eleves[4]":                             "champ « evaluations » : une liste attendu",
		}
		for pos, msg := range want {
			if !strings.Contains(rejects[pos], msg) {
				t.Errorf("rejection at %s = %q, want it to mention %q", pos, rejects[pos], msg)
			}
		}
		if len(rep.Rejected) != len(want) {
			t.Errorf("%d rejections, want %d: %+v", len(rep.Rejected), len(want), rep.Rejected)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Reason, "Inconnu Paul") {
			t.Errorf("warnings = %+v, want the unknown author", rep.Warnings)
		}
		got := [...]int{rep.Students, rep.EvaluationsCreated, rep.ResultsAdded, rep.CommentsAdded, rep.SheetsCreated, rep.FilesAdded}
		if got != [...]int{2, 2, 5, 2, 1, 1} {
			t.Errorf("students, evaluations, results, comments, sheets, files = %v, want [2 2 5 2 1 1]\n%+v", got, rep)
		}
		// The dry run counted exactly what the real run did.
		dry.DryRun = false
		if !reflect.DeepEqual(dry, rep) {
			t.Errorf("dry run report differs:\n dry %+v\nreal %+v", dry, rep)
		}

		// The good items are in: the shared evaluation has both students'
		// results, matched on the natural key.
		err = st.Read(ctx, func(tx *store.Tx) error {
			evals, err := tx.Records().ListEvaluations(ctx, uai, sillage.EvaluationFilter{})
			if err != nil {
				return err
			}
			if len(evals) != 2 {
				t.Fatalf("%d evaluations, want 2", len(evals))
			}
			var cablage sillage.Evaluation
			for _, e := range evals {
				if e.Title == "Câblage d'un tableau" {
					cablage = e
				}
			}
			if cablage.AuthorID != s.teacher.ID || cablage.DivisionID != s.division.ID || cablage.Diploma != "24732205" || cablage.Level != "Première" {
				t.Errorf("evaluation = %+v", cablage)
			}
			rs, err := tx.Records().ListResults(ctx, uai, sillage.ResultFilter{EvaluationID: cablage.ID})
			if err != nil {
				return err
			}
			vals := map[string]string{}
			codes := map[int64]string{}
			for _, c := range s.ref.Competences {
				codes[c.ID] = c.Code
			}
			for _, r := range rs {
				for id, stu := range s.students {
					if stu.ID == r.StudentID {
						vals[id+"/"+codes[r.CompetenceID]] = r.Value
					}
				}
			}
			if !reflect.DeepEqual(vals, map[string]string{"E1/C1": "3", "E1/C3": "ABS", "E2/C1": "2", "E2/C4": "4"}) {
				t.Errorf("results = %v", vals)
			}
			grid, err := tx.Records().ListEvaluationCompetences(ctx, uai, cablage.ID)
			if err != nil || len(grid) != 3 {
				t.Errorf("grid = %+v, %v; want C1, C3, C4", grid, err)
			}
			sheets, err := tx.Records().ListSheets(ctx, uai, sillage.SheetFilter{StudentID: s.students["E1"].ID})
			if err != nil {
				return err
			}
			if len(sheets) != 1 || sheets[0].Result != "4" || sheets[0].AuthorID != s.teacher.ID || sheets[0].Host != "Électricité Dupont" {
				t.Fatalf("sheets = %+v", sheets)
			}
			sh, err := tx.Records().GetSheet(ctx, uai, sheets[0].ID)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(samplePDF("rapport"))
			if len(sh.Attachments) != 1 || sh.Attachments[0].SHA256 != fmt.Sprintf("%x", sum) || sh.Attachments[0].ContentType != records.TypePDF {
				t.Errorf("attachments = %+v", sh.Attachments)
			}
			if !blobs.Has(fmt.Sprintf("%x", sum)) {
				t.Error("the attached file is not in the blob store")
			}
			entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{})
			if err != nil {
				return err
			}
			if len(entries) != 1 || entries[0].Action != audit.RecordsImported {
				t.Errorf("audit = %+v", entries)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// Running again adds nothing and reports the same rejections.
		after, afterFiles := digest(t, st), blobFiles(t, dir)
		again, err := records.Import(ctx, st, req, strings.NewReader(mixed()))
		if err != nil {
			t.Fatal(err)
		}
		if again.Changed() {
			t.Errorf("second import changed something: %+v", again)
		}
		if again.ResultsUnchanged != 5 || again.EvaluationsFound != 2 || again.SheetsUnchanged != 1 || again.FilesUnchanged != 1 || again.CommentsUnchanged != 2 {
			t.Errorf("second import = %+v", again)
		}
		if !reflect.DeepEqual(again.Rejected, rep.Rejected) {
			t.Errorf("second import rejections differ:\n%+v\n%+v", again.Rejected, rep.Rejected)
		}
		if digest(t, st) != after || !reflect.DeepEqual(blobFiles(t, dir), afterFiles) {
			t.Error("second import changed the tables or the files")
		}
	})
}

func TestImportRefusesWholeFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		newSchool(t, st)
		before := digest(t, st)
		good := `{"titre": "Bon", "date": "2025-10-02", "diplome": "24732205", "resultats": [{"competence": "C1", "valeur": "3"}]}`
		cases := map[string]string{
			"not json":      `ceci n'est pas du JSON`,
			"truncated":     `{"format": "sillage-livrets", "version": 1, "eleves": [{"eleve_id": "E1", "evaluations": [` + good,
			"wrong format":  `{"format": "autre", "version": 1, "eleves": [{"eleve_id": "E1", "evaluations": [` + good + `]}]}`,
			"no format":     `{"version": 1, "eleves": [{"eleve_id": "E1", "evaluations": [` + good + `]}]}`,
			"wrong version": `{"format": "sillage-livrets", "version": 3, "eleves": [{"eleve_id": "E1", "evaluations": [` + good + `]}]}`,
			"other school":  `{"format": "sillage-livrets", "version": 1, "uai": "0010856A", "eleves": [{"eleve_id": "E1", "evaluations": [` + good + `]}]}`,
			"syntax inside": `{"format": "sillage-livrets", "version": 1, "eleves": [{"eleve_id": "E1", "evaluations": [` + good + `,]}]}`,
		}
		for name, body := range cases {
			_, err := records.Import(ctx, st, records.ImportRequest{UAI: uai}, strings.NewReader(body))
			if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(sillage.Message(err), "rien n'a été importé") {
				t.Errorf("%s: %v, want an invalid file error saying nothing was imported", name, err)
			}
		}
		if digest(t, st) != before {
			t.Fatal("a refused file changed the database")
		}
	})
}

func TestExportImportRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		newSchool(t, st)
		dir := t.TempDir()
		blobs, _ := blob.Open(dir, 1<<20)
		defer blobs.Close()
		admin := audit.Actor{Role: "administrator", Name: "Admin"}
		if _, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin, Blobs: blobs}, strings.NewReader(mixed())); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := records.Export(ctx, st, records.ExportRequest{UAI: uai, Actor: admin, ExternalIDs: true}, &out); err != nil {
			t.Fatal(err)
		}
		var f records.File
		if err := json.Unmarshal(out.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if f.Format != records.FormatName || len(f.Students) != 3 || len(f.Referentials) != 1 || len(f.Scale) != 6 {
			t.Fatalf("export = %+v", f)
		}
		var e1 records.Student
		for _, s := range f.Students {
			if s.EleveID == "E1" {
				e1 = s
			}
		}
		if len(e1.Evaluations) != 1 || len(e1.Evaluations[0].Results) != 2 || e1.Evaluations[0].Author.STSID != "T1" ||
			len(e1.Sheets) != 1 || len(e1.Sheets[0].Files) != 1 || e1.Sheets[0].Files[0].SHA256 == "" {
			t.Fatalf("E1 exported as %+v", e1)
		}
		// Importing one's own export changes nothing: the natural keys
		// find every item again (the files by their hash).
		before := digest(t, st)
		rep, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin, Blobs: blobs}, bytes.NewReader(out.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Changed() || len(rep.Rejected) != 0 {
			t.Fatalf("re-import of the export: %+v", rep)
		}
		if digest(t, st) != before {
			t.Fatal("re-import of the export changed the tables")
		}
		err = st.Read(ctx, func(tx *store.Tx) error {
			entries, err := tx.Audit().ListAudit(ctx, uai, sillage.AuditFilter{Action: audit.RecordsExported})
			if err != nil || len(entries) != 1 || entries[0].Target != "établissement" {
				t.Errorf("audit of the export: %+v %v", entries, err)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// Without external ids, no ELEVE_ID nor STS id leaves.
		out.Reset()
		if err := records.Export(ctx, st, records.ExportRequest{UAI: uai, Actor: admin, EleveID: "E1"}, &out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), `"eleve_id"`) || strings.Contains(out.String(), `"sts_id"`) {
			t.Errorf("export without external ids leaks them:\n%s", out.String())
		}
	})
}

// TestImportFileBySumStaysInTheEstablishment: a records file may name a
// file by its sha256 alone only when the establishment already holds that
// content; another establishment's file on the same instance is refused,
// and the sheet is kept without it.
func TestImportFileBySumStaysInTheEstablishment(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		newSchool(t, st)
		blobs, err := blob.Open(t.TempDir(), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer blobs.Close()
		admin := audit.Actor{Role: "administrator", Name: "Admin"}
		if _, err := records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin, Blobs: blobs}, strings.NewReader(mixed())); err != nil {
			t.Fatal(err)
		}
		const other = sillage.UAI("0010856A")
		err = st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: other, Name: "Lycée voisin", Kind: sillage.KindLP}); err != nil {
				return err
			}
			stu := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: "B", SIECLEID: "B1", Source: sillage.SourceSIECLE}}
			return tx.People().CreateStudent(ctx, other, &stu)
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := fmt.Sprintf("%x", sha256.Sum256(samplePDF("rapport")))
		bySum := func(eleve string) string {
			return `{"format": "sillage-livrets", "version": 1, "eleves": [{"eleve_id": "` + eleve + `", "fiches": [
				{"type": "bacpro", "intitule": "Reprise", "contexte": "classe", "fichiers": [{"nom": "rapport.pdf", "sha256": "` + sum + `"}]}]}]}`
		}
		rep, err := records.Import(ctx, st, records.ImportRequest{UAI: other, Actor: admin, Blobs: blobs}, strings.NewReader(bySum("B1")))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Reason, "inconnu de cet établissement") || rep.FilesAdded != 0 {
			t.Fatalf("another establishment's file taken by its sum: %+v", rep)
		}
		var n int
		if err := st.SQLDB().QueryRow(`SELECT COUNT(*) FROM attachments WHERE uai = '0010856A'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("attachments of the other establishment: %d, %v", n, err)
		}
		if err := st.SQLDB().QueryRow(`SELECT COUNT(*) FROM sheets WHERE uai = '0010856A'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the sheet is kept without its file: %d sheets, %v", n, err)
		}
		// The establishment that holds the content may name it by its sum.
		rep, err = records.Import(ctx, st, records.ImportRequest{UAI: uai, Actor: admin, Blobs: blobs}, strings.NewReader(bySum("E2")))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rejected) != 0 || rep.FilesAdded != 1 {
			t.Fatalf("own file by its sum: %+v", rep)
		}
	})
}
