package acquisition_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/acquisition"
	"github.com/sillage/sillage/internal/pdfdoc"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// svgFacts reads an SVG as XML: its root attributes, title, desc and the
// count of each element.
func svgFacts(t *testing.T, svg string) (root map[string]string, title, desc string, count map[string]int) {
	t.Helper()
	root, count = map[string]string{}, map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(svg))
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				for _, a := range el.Attr {
					root[a.Name.Local] = a.Value
				}
			}
			stack = append(stack, el.Name.Local)
			count[el.Name.Local]++
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 2 && stack[1] == "title" {
				title += string(el)
			}
			if len(stack) == 2 && stack[1] == "desc" {
				desc += string(el)
			}
		}
	}
	return
}

func TestChartsAndFiles(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		// 23:30 UTC on 31 January is 1 February in Paris.
		clock.T = time.Date(2026, 1, 31, 23, 30, 0, 0, time.UTC)
		s := newSchool(t, st)
		ctx := context.Background()
		director := sillage.Who{UAI: uai, PersonID: 999, Role: sillage.RoleDirector}
		var sv *acquisition.StudentView
		var cv *acquisition.ClassView
		err := st.Read(ctx, func(tx *store.Tx) (err error) {
			if sv, err = acquisition.ForStudent(ctx, tx, director, s.ana.ID, acquisition.SpanWhole); err != nil {
				return err
			}
			cv, err = acquisition.ForClass(ctx, tx, director, s.division.ID, "", "", true)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		// Progress: March 2024 to January 2026, a line per domain with a result.
		p := sv.Progress
		if len(p.Months) != 23 || p.Months[0].Label() != "mars 2024" || p.Months[22].Label() != "janv. 2026" {
			t.Fatalf("months %d: %v … %v", len(p.Months), p.Months[0], p.Months[len(p.Months)-1])
		}
		if len(p.Series) != 1 || p.Series[0].Name != "Préparer" || p.Series[0].Scores[0].Level.Code != "1" || p.Series[0].Scores[22].Level.Code == "" {
			t.Fatalf("series %+v", p.Series)
		}
		root, title, desc, count := svgFacts(t, acquisition.ProgressSVG(p, sv.Scale, "prog", "Ana Œuvray"))
		if root["role"] != "img" || root["aria-labelledby"] != "prog-t prog-d" || !strings.Contains(title, "Ana Œuvray") || !strings.Contains(desc, "mars 2024") {
			t.Errorf("progress chart: root %v, title %q, desc %q", root, title, desc)
		}
		// One line, its legend sample; four level grid lines + axis.
		if count["path"] < 1 || count["line"] != 4+1+1 {
			t.Errorf("progress chart elements %v", count)
		}

		root, title, _, count = svgFacts(t, acquisition.DistributionSVG(cv.Columns, cv.Scale, "dist", "1SN"))
		if root["role"] != "img" || !strings.Contains(title, "1SN") {
			t.Errorf("distribution chart: root %v, title %q", root, title)
		}
		// Six patterns (five levels by points and "no result"), each with
		// its rect; C1 two segments (2 and 4), C2 one (both 2), C3 one (no
		// result); five legend swatches (four levels, no result).
		if count["pattern"] != 6 || count["rect"] != 6+4+5 {
			t.Errorf("distribution chart elements %v", count)
		}

		var csv bytes.Buffer
		if err := acquisition.ClassCSV(&csv, cv); err != nil {
			t.Fatal(err)
		}
		want := "\ufeffNom;Prénom;Classe;C1 — S'informer;C2 — Organiser;C3 — Installer\n" +
			"Durand;Bob;1SN;Insuffisamment maîtrisé;Insuffisamment maîtrisé;\n" +
			"Œuvray;Ana;1SN;Très bien maîtrisé;Insuffisamment maîtrisé;\n"
		if csv.String() != want {
			t.Errorf("CSV:\n%q\nwant\n%q", csv.String(), want)
		}

		var pdf bytes.Buffer
		if err := acquisition.StudentPDF(&pdf, sv, clock.T); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Bilan des acquis — ŒUVRAY Ana", "Édité le 01/02/2026", "toute la scolarité",
			"moyenne pondérée des 4 derniers résultats", "dont 1 reçu", "Préparer : Maîtrisé", "Progression par domaine", "mars 2024"} {
			if !pdfdoc.HasText(pdf.Bytes(), s) {
				t.Errorf("student bilan lacks %q", s)
			}
		}
		pdf.Reset()
		if err := acquisition.ClassPDF(&pdf, cv, clock.T); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"Bilan des acquis — classe 1SN", "Édité le 01/02/2026", "l'année scolaire 2025-2026", "Répartition des élèves par compétence",
			"État de chaque élève par domaine", "DURAND Bob", "Très bien maîtrisé"} {
			if !pdfdoc.HasText(pdf.Bytes(), s) {
				t.Errorf("class bilan lacks %q", s)
			}
		}
	})
}
