package livret_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

type benchCase struct {
	engine  store.Kind
	options lsutest.Options
	sel     func(f *lsutest.Fixture) livret.Selection
	split   string
	unit    string
	xmllint bool // the official XSDs configured: xmllint runs after the built-in rules
	family  bool // the blocks of lsutest.AddFamily filled too
}

// cpuTime is the CPU time (user and system) of this process and of its
// finished children (xmllint) so far.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}

func benchExport(b *testing.B, c benchCase) {
	requireXmllint(b)
	st := storetest.Open(b, c.engine, &storetest.Clock{T: storetest.Epoch})
	start := time.Now()
	f, err := lsutest.Build(context.Background(), st, c.options)
	if err != nil {
		b.Fatal(err)
	}
	if c.family {
		if err := lsutest.AddFamily(context.Background(), st, f); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("fixture of %d students built in %s", len(f.Students), time.Since(start).Round(time.Millisecond))
	blobs := openBlobs(b)
	req := livret.Request{Selection: c.sel(f), Split: c.split, AppVersion: "bench", Actor: actor}
	if c.xmllint {
		req.SchemaDir = schemaDirFor(b)
	}
	ctx := context.Background()
	xsdPath, err := lsu.SchemaFile(schemaDirFor(b), lsu.SecondDegree, lsu.Version10)
	if err != nil {
		b.Fatal(err)
	}
	// The raw limits, measured in the same run on the file the export
	// wrote: xmllint alone (parse and validate against the official XSD),
	// and encoding/xml reading every token of it.
	var lastFile []byte
	students := 0
	var full, cpu, lint, decode time.Duration
	for b.Loop() {
		s0, err := storetest.CPUTime(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		t0, c0 := time.Now(), cpuTime()
		out, err := livret.Run(ctx, st, blobs, c.options.UAI, req)
		if err != nil {
			b.Fatal(err)
		}
		full += time.Since(t0)
		cpu += cpuTime() - c0
		// PostgreSQL's server processes' share of the work, when they run
		// on this machine (the process's own time is counted above).
		s1, err := storetest.CPUTime(ctx, st)
		if err != nil {
			b.Fatal(err)
		}
		cpu += s1.Since(s0) - (s1.Self - s0.Self)
		if out.Refused() {
			b.Fatalf("refused: %s", out.Export.Refusal)
		}
		students = out.Report.Counts.StudentsExported
		if c.split == livret.SplitNone {
			if lastFile, err = os.ReadFile(out.File); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := lsu.Validate(ctx, xsdPath, out.File); err != nil {
				b.Fatal(err)
			}
			lint += time.Since(t1)
			t2 := time.Now()
			dec := xml.NewDecoder(bytes.NewReader(lastFile))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
			decode += time.Since(t2)
		}
		out.Cleanup()
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	b.ReportMetric(ms(full), c.unit)
	b.ReportMetric(ms(cpu), "cpu-"+c.unit)
	b.ReportMetric(float64(students)*n/full.Seconds(), "students/s")
	if lint > 0 {
		b.ReportMetric(ms(lint), "xmllint-alone-ms")
		b.ReportMetric(ms(decode), "xml-decode-ms")
		b.ReportMetric(full.Seconds()/lint.Seconds(), "ratio-to-raw")
		b.ReportMetric(float64(len(lastFile))/1024, "KiB/file")
	}
}

// BenchmarkLSUExportClass is one class exported as the /lsu page does it,
// through the database, on each engine: 30 students, 3 closed trimesters,
// 12 subjects, the class comments, devoirs faits, socle of the term and
// two legal guardians each (lsutest.AddFamily), read from the store, checked, generated, validated, kept as
// blobs with its report and audit entry. "builtin" is an instance out of
// the box (the built-in rules alone), "builtin+xmllint" one with the
// official XSDs configured. The raw limit is xmllint alone on the same
// file (ratio-to-raw), with encoding/xml's decoding of it beside.
func BenchmarkLSUExportClass(b *testing.B) {
	o := lsutest.Options{UAI: uaiCollege, Divisions: 1, PerDivision: 30, Periods: 3, Subjects: 12}
	sel := func(f *lsutest.Fixture) livret.Selection {
		return livret.Selection{DivisionCode: "6E1", PeriodIDs: f.PeriodIDs(3)}
	}
	for _, engine := range storetest.Engines(b) {
		for _, lint := range []bool{false, true} {
			name := string(engine) + "/builtin"
			if lint {
				name += "+xmllint"
			}
			b.Run(name, func(b *testing.B) {
				benchExport(b, benchCase{engine: engine, options: o, sel: sel, unit: "ms/class", xmllint: lint, family: true})
			})
		}
	}
}

// BenchmarkLSUExportCollege exports a whole collège of 600 students (20
// divisions of 30, 3 trimesters, 12 subjects, end-of-cycle reports) in one
// file, then split by division (a ZIP of 20 validated files).
func BenchmarkLSUExportCollege(b *testing.B) {
	o := lsutest.Options{UAI: uaiCollege, Divisions: 20, PerDivision: 30, Periods: 3, Subjects: 12, Cycle: true}
	sel := func(f *lsutest.Fixture) livret.Selection {
		return livret.Selection{PeriodIDs: f.PeriodIDs(3), Cycle: true}
	}
	b.Run("one-file", func(b *testing.B) {
		benchExport(b, benchCase{engine: store.SQLite, options: o, sel: sel, unit: "ms/collège", xmllint: true})
	})
	b.Run("split-by-division", func(b *testing.B) {
		benchExport(b, benchCase{engine: store.SQLite, options: o, sel: sel, split: livret.SplitDivision, unit: "ms/collège", xmllint: true})
	})
}
