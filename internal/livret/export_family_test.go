package livret_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestExportGoldenFamily exports, through the database on every engine, a
// collège class (10.0 and 7.0) and an école class (1.0b) whose reports
// carry the class school-life comment, devoirs faits, the socle of the
// term and the legal guardians with their addresses, legal 1 and legal 2
// and a legal person (written in the 2nd degree, left out with a line in
// the 1st, whose schema has no place for it): each file passes the
// built-in validator and xmllint with the official XSD, and equals its
// golden file.
func TestExportGoldenFamily(t *testing.T) {
	requireXmllint(t)
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		col, eco := college(t, st), ecole(t, st)
		for _, f := range []*lsutest.Fixture{col, eco} {
			if err := lsutest.AddFamily(ctx, st, f); err != nil {
				t.Fatal(err)
			}
		}
		blobs := openBlobs(t)
		for _, tc := range []struct {
			name    string
			uai     sillage.UAI
			req     livret.Request
			degree  lsu.Degree
			version string
			want    []string
		}{
			{"college_3E1_full_10.0", uaiCollege, livret.Request{Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: col.PeriodIDs(2), Cycle: true}},
				lsu.SecondDegree, lsu.Version10, []string{"<vie-scolaire-commun ", "<devoirs-faits>", "<socle>", `lien-parente="MERE"`, "<adresse ", "</responsables>\n      </bilan-cycle>",
					`prenom="Claire" legal1="true"`, `prenom="Julien" legal2="true"`, `<responsable legal2="true" lien-parente="AIDE SOCIALE A L'ENFANCE" denomination="AIDE SOCIALE`}},
			{"college_3E1_full_7.0", uaiCollege, livret.Request{Selection: livret.Selection{DivisionCode: "3E1", PeriodIDs: col.PeriodIDs(2)}, Version: lsu.Version7},
				lsu.SecondDegree, lsu.Version7, []string{"<vie-scolaire-commun ", "<devoirs-faits>", `lien-parente="PERE"`, `legal1="true"`, `denomination="AIDE SOCIALE`}},
			{"ecole_70001_full_1.0b", uaiEcole, livret.Request{Selection: livret.Selection{DivisionCode: "70001", PeriodIDs: eco.PeriodIDs(1), Cycle: true}, ONDE: readONDE(t, eco.ONDE)},
				lsu.FirstDegree, lsu.Version1b, []string{"<socle>", `<domaine code="CPD_ETR"/>`, `<responsable civilite="MME"`, "<adresse ligne1="}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				out := run(t, st, blobs, tc.uai, tc.req)
				if out.Refused() {
					t.Fatalf("refused: %s\n%s", out.Export.Refusal, reportCSV(t, out.Report))
				}
				xml := readFile(t, out.File)
				for _, w := range tc.want {
					if !bytes.Contains(xml, []byte(w)) {
						t.Errorf("the file lacks %q", w)
					}
				}
				if err := lsu.ValidateRules(lsu.Target{Degree: tc.degree, Version: tc.version}, xml); err != nil {
					t.Errorf("built-in validator: %v", err)
				}
				if err := validate(t, tc.degree, tc.version, out.File); err != nil {
					t.Errorf("xmllint with the official %s XSD: %v", tc.version, err)
				}
				golden(t, tc.name+".xml", xml)
				golden(t, tc.name+".report.csv", reportCSV(t, out.Report))
			})
		}
	})
}
