package records_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// benchShape is the records import benchmark's data: divisions of 25
// students, each with 10 evaluations of 10 competences: 100 results per
// student. SILLAGE_BENCH_RESULTS sets the total (default 100,000).
type benchShape struct {
	students, perDivision, evals, comps int
}

func benchSize() benchShape {
	total := 100_000
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_RESULTS")); err == nil && v >= 100 {
		total = v
	}
	return benchShape{students: total / 100, perDivision: 25, evals: 10, comps: 10}
}

func benchUAI(n int) sillage.UAI {
	digits := fmt.Sprintf("0%06d", n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

// benchSchool stores an establishment with the shape's referential,
// divisions and students; with evaluations=true also the evaluations (for
// the raw insert), returned by division.
func benchSchool(b testing.TB, st *store.Store, u sillage.UAI, sh benchShape, evaluations bool) (students []sillage.Student, comps []sillage.Competence, evals map[int64][]int64) {
	ctx := context.Background()
	evals = map[int64][]int64{}
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
			return err
		}
		ref := sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN"}
		for c := 0; c < sh.comps; c++ {
			ref.Competences = append(ref.Competences, sillage.Competence{Domain: fmt.Sprintf("D%d", c/4), Code: fmt.Sprintf("C%d", c+1), Label: "Compétence"})
		}
		if err := tx.Records().CreateReferential(ctx, u, &ref); err != nil {
			return err
		}
		comps = ref.Competences
		var div sillage.Division
		for i := 0; i < sh.students; i++ {
			if i%sh.perDivision == 0 {
				div = sillage.Division{SchoolYear: 2025, Code: fmt.Sprintf("D%03d", i/sh.perDivision)}
				if err := tx.People().CreateDivision(ctx, u, &div); err != nil {
					return err
				}
				for e := 0; e < sh.evals && evaluations; e++ {
					ev := sillage.Evaluation{Title: fmt.Sprintf("%s évaluation %d", div.Code, e+1), Date: sillage.NewDate(2025, 10, 1+e), Diploma: ref.Diploma,
						ReferentialID: ref.ID, DivisionID: div.ID}
					if err := tx.Records().CreateEvaluation(ctx, u, &ev); err != nil {
						return err
					}
					evals[div.ID] = append(evals[div.ID], ev.ID)
				}
			}
			s := sillage.Student{Person: sillage.Person{LastName: "Élève", FirstName: strconv.Itoa(i), SIECLEID: fmt.Sprintf("E%06d", i), Source: sillage.SourceSIECLE},
				Diploma: ref.Diploma, DivisionID: div.ID}
			if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
				return err
			}
			students = append(students, s)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// The statistics the directory import that created these students
	// gathers after its commit (store.Optimize), and nothing more.
	if err := st.Optimize(ctx); err != nil {
		b.Fatal(err)
	}
	return students, comps, evals
}

// benchFile writes the records JSON of the shape.
func benchFile(sh benchShape) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"format": "sillage-livrets", "version": 1, "eleves": [`)
	for i := 0; i < sh.students; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"eleve_id": "E%06d", "evaluations": [`, i)
		div := fmt.Sprintf("D%03d", i/sh.perDivision)
		for e := 0; e < sh.evals; e++ {
			if e > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"titre": "%s évaluation %d", "date": "2025-10-%02d", "diplome": "24732205", "division": "%s", "resultats": [`, div, e+1, e+1, div)
			for c := 0; c < sh.comps; c++ {
				if c > 0 {
					buf.WriteByte(',')
				}
				fmt.Fprintf(&buf, `{"competence": "C%d", "valeur": "%d"}`, c+1, 1+(i+e+c)%4)
			}
			buf.WriteString(`]}`)
		}
		buf.WriteString(`]}`)
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// BenchmarkImport measures the records import of 100,000 results against
// the physical limit measured in the same run: the same rows bulk-loaded
// (storetest.RawLoad: a bare COPY on PostgreSQL, a bare prepared INSERT on
// SQLite) into a table with the columns of results and no key, index or
// foreign key.
func BenchmarkImport(b *testing.B) {
	sh := benchSize()
	file := benchFile(sh)
	rows := sh.students * sh.evals * sh.comps
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			st := storetest.Open(b, kind, &storetest.Clock{T: storetest.Epoch})
			ctx := context.Background()
			var importTime, rawTime time.Duration
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				// Both establishments are set up first (untimed), the raw one
				// with its evaluations, so that the tables' statistics are
				// those of a populated instance for both measures.
				raw := benchUAI(2*n + 1)
				students, comps, evals := benchSchool(b, st, raw, sh, true)
				u := benchUAI(2 * n)
				benchSchool(b, st, u, sh, false)
				start := time.Now()
				rep, err := records.Import(ctx, st, records.ImportRequest{UAI: u, Actor: audit.System}, bytes.NewReader(file))
				importTime += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if rep.ResultsAdded != rows || len(rep.Rejected) != 0 {
					b.Fatalf("import added %d results (want %d), %d rejections", rep.ResultsAdded, rows, len(rep.Rejected))
				}
				// The raw limit: the same rows, bulk-loaded into a bare table.
				rs := make([][]any, 0, rows)
				for i, s := range students {
					for e, evID := range evals[s.DivisionID] {
						for c := range comps {
							rs = append(rs, []any{string(raw), evID, s.ID, comps[c].ID, strconv.Itoa(1 + (i+e+c)%4)})
						}
					}
				}
				start = time.Now()
				err = storetest.RawLoad(ctx, st, "results", []string{"uai", "evaluation_id", "student_id", "competence_id", "value"}, rs)
				rawTime += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
			}
			importRate := float64(rows*n) / importTime.Seconds()
			rawRate := float64(rows*n) / rawTime.Seconds()
			b.ReportMetric(importRate, "rows/s")
			b.ReportMetric(rawRate, "raw-rows/s")
			b.ReportMetric(importRate/rawRate, "ratio-to-raw")
			b.ReportMetric(float64(importTime.Milliseconds())/float64(n), "import-ms")
		})
	}
}
