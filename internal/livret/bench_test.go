package livret_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func benchExport(b *testing.B, o lsutest.Options, sel func(f *lsutest.Fixture) livret.Selection, split string, unit string) {
	requireXmllint(b)
	st := storetest.Open(b, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	start := time.Now()
	f, err := lsutest.Build(context.Background(), st, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture of %d students built in %s", len(f.Students), time.Since(start).Round(time.Millisecond))
	blobs := openBlobs(b)
	req := livret.Request{Selection: sel(f), Split: split, AppVersion: "bench", Actor: actor}
	req.SchemaDir = schemaDirFor(b)
	// The raw floor, measured in the same run: lsu.Export alone (collect,
	// generate, validate) on the input already read from the store.
	ctx := context.Background()
	var loaded *livret.Loaded
	if err := st.Read(ctx, func(tx *store.Tx) (err error) {
		loaded, err = livret.Load(ctx, tx, o.UAI, req.Selection, livret.LoadOptions{AppVersion: "bench"})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	rawOut := filepath.Join(b.TempDir(), "raw.xml")
	students := 0
	var full, raw time.Duration
	for b.Loop() {
		t0 := time.Now()
		out, err := livret.Run(ctx, st, blobs, o.UAI, req)
		if err != nil {
			b.Fatal(err)
		}
		full += time.Since(t0)
		if out.Refused() {
			b.Fatalf("refused: %s", out.Export.Refusal)
		}
		students = out.Report.Counts.StudentsExported
		out.Cleanup()
		if split == livret.SplitNone {
			t1 := time.Now()
			if _, err := lsu.Export(ctx, loaded.Input, req.SchemaDir, rawOut); err != nil {
				b.Fatal(err)
			}
			raw += time.Since(t1)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(full.Microseconds())/1000/n, unit)
	b.ReportMetric(float64(students)*n/full.Seconds(), "students/s")
	if raw > 0 {
		b.ReportMetric(float64(raw.Microseconds())/1000/n, "raw-ms")
		b.ReportMetric(full.Seconds()/raw.Seconds(), "ratio-to-raw")
	}
}

// BenchmarkLSUExportClass is one class exported as the /lsu page does it,
// through the database: 30 students, 3 closed trimesters, 12 subjects,
// read from the store, checked, generated, validated with xmllint against
// the official 10.0 XSD, kept as blobs with its report and audit entry.
func BenchmarkLSUExportClass(b *testing.B) {
	benchExport(b, lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 30, Periods: 3, Subjects: 12},
		func(f *lsutest.Fixture) livret.Selection {
			return livret.Selection{DivisionCode: "6E1", PeriodIDs: f.PeriodIDs(3)}
		}, livret.SplitNone, "ms/class")
}

// BenchmarkLSUExportCollege exports a whole collège of 600 students (20
// divisions of 30, 3 trimesters, 12 subjects, end-of-cycle reports) in one
// file, then split by division (a ZIP of 20 validated files).
func BenchmarkLSUExportCollege(b *testing.B) {
	o := lsutest.Options{UAI: uaiCollege, Divisions: 20, PerDivision: 30, Periods: 3, Subjects: 12, Cycle: true}
	sel := func(f *lsutest.Fixture) livret.Selection {
		return livret.Selection{PeriodIDs: f.PeriodIDs(3), Cycle: true}
	}
	b.Run("one-file", func(b *testing.B) { benchExport(b, o, sel, livret.SplitNone, "ms/collège") })
	b.Run("split-by-division", func(b *testing.B) { benchExport(b, o, sel, livret.SplitDivision, "ms/collège") })
}
