package directory_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// ondeCSV writes an ONDE pupils extraction (Latin-1) of the rows
// "last;first;birth;INE;class".
func ondeCSV(t *testing.T, rows ...string) *bytes.Reader {
	t.Helper()
	var b strings.Builder
	b.WriteString("Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Niveau;Libellé classe;Identifiant classe\r\n")
	for _, r := range rows {
		f := strings.Split(r, ";")
		b.WriteString(`"` + f[0] + `";;"` + f[1] + `";"` + f[2] + `";"F";"` + f[3] + `";"CE2";"CE2 Mme Béranger";"` + f[4] + `"` + "\r\n")
	}
	data, err := charmap.ISO8859_1.NewEncoder().String(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader([]byte(data))
}

// TestONDEHomonymsWithTheirINE: two pupils with the same name and birth
// date but different INEs are two pupils (imports.md rule 3: the unqid is
// matched before the key built from the name), from one extraction to the
// next and whatever their order; a row of one of them without the INE
// finds the one the other INE did not take.
func TestONDEHomonymsWithTheirINE(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		const school = sillage.UAI("0860001J")
		e := newEnv(t, st, clock)
		e.establishment(school, sillage.KindEcole)
		ctx := context.Background()
		onde := func(rows ...string) *directory.Report {
			t.Helper()
			return ok(t)(e.im.ONDE(ctx, ondeCSV(t, rows...), directory.Options{UAI: school, FileName: "CSVExtraction.csv"}))
		}
		first := "LÉGER;Zoé;03/02/2016;997000201AB;70001"
		second := "LÉGER;Zoé;03/02/2016;997000202CD;70002"
		rep := onde(first, second)
		want(t, rep, directory.KindStudents, 2, 0, 0, 0, 0)
		if len(rep.Rejects) != 0 {
			t.Errorf("rejects %+v", rep.Rejects)
		}
		pupils := func() map[string]sillage.Student {
			t.Helper()
			out := map[string]sillage.Student{}
			for _, s := range students(t, st, school) {
				out[s.Unqid] = s
			}
			return out
		}
		before := pupils()
		if len(before) != 2 {
			t.Fatalf("%d pupils stored, want 2", len(before))
		}
		allUnchanged(t, onde(first, second))
		allUnchanged(t, onde(second, first))
		// The second one's INE is missing from a file: the key built from
		// the name finds her, the first one being found by her INE; her INE
		// is kept.
		allUnchanged(t, onde(strings.Replace(second, "997000202CD", "", 1), first))
		after := pupils()
		for u, s := range before {
			if a, ok := after[u]; !ok || a.ID != s.ID || a.DivisionID != s.DivisionID {
				t.Errorf("pupil %d (%s) became %+v", s.ID, s.FullName(), a)
			}
		}
		// Without an INE, two homonyms are indistinguishable: the row is
		// refused rather than given to one of them; the only row of the
		// file being rejected, the whole file is refused.
		rep, err := e.im.ONDE(ctx, ondeCSV(t, "LÉGER;Zoé;03/02/2016;;70001"), directory.Options{UAI: school, DryRun: true, ConfirmMassDeactivation: true})
		if len(rep.Rejects) != 1 || !strings.Contains(rep.Rejects[0].Reason, "plusieurs élèves") {
			t.Errorf("rejects %+v, want the ambiguous row refused", rep.Rejects)
		}
		if sillage.KindOf(err) != sillage.KindInvalid || rep.Status != directory.StatusRefused {
			t.Errorf("status %s, err %v: want the file refused, every row being rejected", rep.Status, err)
		}
	})
}
