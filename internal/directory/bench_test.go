package directory_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// benchStudents is the size of the SIECLE import benchmark's file.
const benchStudents = 2000

// benchSIECLE returns a 2,000-student ElevesSansAdresses.xml of the real
// structure (the demo academy's establishment 0 as SIECLE would export it).
func benchSIECLE(b *testing.B) ([]byte, sillage.UAI) { return siecleFile(b, benchStudents) }

// siecleFile returns an ElevesSansAdresses.xml of n present students.
func siecleFile(b testing.TB, benchStudents int) ([]byte, sillage.UAI) {
	b.Helper()
	now := storetest.Epoch
	o := demo.DefaultOptions(now)
	o.Establishments, o.Students = 1, benchStudents+benchStudents/5
	p := demo.Plan(o, 0)
	f := p.SIECLE(now)
	var present []siecle.JoinedStudent
	for _, s := range f.Students {
		if s.ExitDate.IsZero() && len(present) < benchStudents {
			present = append(present, s)
		}
	}
	if len(present) != benchStudents {
		b.Fatalf("%d students planned", len(present))
	}
	f.Students = present
	var buf bytes.Buffer
	if err := siecle.WriteStudents(&buf, f); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), f.Header.UAJ
}

// nthUAI returns a valid UAI for establishment n of the benchmark.
func nthUAI(n int) sillage.UAI {
	digits := fmt.Sprintf("07%05d", n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

// BenchmarkSIECLEImport imports a 2,000-student SIECLE export into a new
// establishment in each iteration (students, accounts with unique logins,
// divisions, unqids), and measures in the same iteration, outside the
// timer, the physical limit: encoding/xml alone decoding the same bytes
// (rawDecode, no Sillage code). ratio-to-raw is the import rate over the
// decode rate (imports.md target: at least 0.35).
func BenchmarkSIECLEImport(b *testing.B) {
	data, fileUAI := benchSIECLE(b)
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			clock := &storetest.Clock{T: storetest.Epoch}
			st := storetest.Open(b, kind, clock)
			im := &directory.Importer{Store: st, Keyring: testKeyring, MassDeactivation: 1}
			ctx := context.Background()
			var decode, cpu, total time.Duration
			n := 0
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				b.StopTimer()
				uai := nthUAI(n)
				n++
				if err := st.Write(ctx, func(tx *store.Tx) error {
					return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Bench " + strconv.Itoa(n), Kind: sillage.KindLP})
				}); err != nil {
					b.Fatal(err)
				}
				file := bytes.Replace(data, []byte("<UAJ>"+string(fileUAI)+"</UAJ>"), []byte("<UAJ>"+string(uai)+"</UAJ>"), 1)
				start := time.Now()
				if got, err := rawDecode(bytes.NewReader(file), "ELEVE", "STRUCTURES_ELEVE"); err != nil || got != 2*benchStudents {
					b.Fatalf("decode: %d, %v", got, err)
				}
				decode += time.Since(start)
				c0 := storeCPU(b, st)
				b.StartTimer()
				rep, err := im.SIECLE(ctx, bytes.NewReader(file), directory.Options{UAI: uai})
				b.StopTimer()
				c1 := storeCPU(b, st)
				cpu += c1.Self - c0.Self
				total += c1.Since(c0)
				b.StartTimer()
				if err != nil {
					b.Fatal(err)
				}
				if c := rep.Count(directory.KindStudents); c.Created != benchStudents {
					b.Fatalf("%d students created", c.Created)
				}
			}
			elapsed := b.Elapsed()
			b.ReportMetric(float64(benchStudents*n)/elapsed.Seconds(), "students/s")
			b.ReportMetric(float64(benchStudents*n)/decode.Seconds(), "raw-students/s")
			b.ReportMetric(decode.Seconds()/elapsed.Seconds(), "ratio-to-raw")
			b.ReportMetric(elapsed.Seconds()/float64(n), "s/import")
			b.ReportMetric(cpu.Seconds()/float64(n), "cpu-s/import")
			if kind == store.Postgres {
				b.ReportMetric(total.Seconds()/float64(n), "cpu+server-s/import")
			}
			b.ReportMetric(loadAvg1(), "load1")
		})
	}
}

// BenchmarkSIECLEReimport imports the same file again: every student
// unchanged (the daily case once the year has started).
func BenchmarkSIECLEReimport(b *testing.B) {
	data, uai := benchSIECLE(b)
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			clock := &storetest.Clock{T: storetest.Epoch}
			st := storetest.Open(b, kind, clock)
			im := &directory.Importer{Store: st, Keyring: testKeyring}
			ctx := context.Background()
			if err := st.Write(ctx, func(tx *store.Tx) error {
				return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Bench", Kind: sillage.KindLP})
			}); err != nil {
				b.Fatal(err)
			}
			if _, err := im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: uai}); err != nil {
				b.Fatal(err)
			}
			var decode time.Duration
			n := 0
			for b.Loop() {
				b.StopTimer()
				start := time.Now()
				if got, err := rawDecode(bytes.NewReader(data), "ELEVE", "STRUCTURES_ELEVE"); err != nil || got != 2*benchStudents {
					b.Fatalf("decode: %d, %v", got, err)
				}
				decode += time.Since(start)
				b.StartTimer()
				rep, err := im.SIECLE(ctx, bytes.NewReader(data), directory.Options{UAI: uai})
				if err != nil || rep.Changed() {
					b.Fatalf("reimport: %v", err)
				}
				n++
			}
			b.ReportMetric(float64(benchStudents*n)/b.Elapsed().Seconds(), "students/s")
			b.ReportMetric(float64(benchStudents*n)/decode.Seconds(), "raw-students/s")
			b.ReportMetric(decode.Seconds()/b.Elapsed().Seconds(), "ratio-to-raw")
		})
	}
}

// aafBenchStudents is the size of the AAF benchmark: 500,000 students (an
// académie, performance.md) times SILLAGE_BENCH_SCALE, 1/100 by default (the
// test suite's scale), or exactly SILLAGE_BENCH_AAF_STUDENTS; 1,000 per
// establishment, two legal guardians each.
func aafBenchStudents(b *testing.B) int {
	if v := os.Getenv("SILLAGE_BENCH_AAF_STUDENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SILLAGE_BENCH_AAF_STUDENTS=%q", v)
		}
		return n
	}
	scale := 0.01
	if v := os.Getenv("SILLAGE_BENCH_SCALE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			b.Fatalf("SILLAGE_BENCH_SCALE=%q: a positive number expected", v)
		}
		scale = f
	}
	return max(1, int(500_000*scale))
}

// storeCPU is the CPU time (user and system) this process and, on
// PostgreSQL, the server processes of st's connections have used: on these
// shared machines the wall time of a benchmark depends on the other
// processes, the CPU time much less. cpu-s/import is this process's;
// cpu+server-s/import adds the server's work (index upkeep, foreign key
// checks), which the wall time waits for.
func storeCPU(b *testing.B, st *store.Store) storetest.CPU {
	b.Helper()
	c, err := storetest.CPUTime(context.Background(), st)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// loadAvg1 is the machine's load over the last minute: a wall time
// measured under a load above the number of cores is inflated by it.
func loadAvg1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// writeAAFAcademy writes a Complet AAF set of n students into dir: one
// establishment per 1,000 students, each student with two legal guardians
// (one in ten shares them with a sibling), 60 teachers per establishment,
// in chunks of 50,000 records as the national files are.
func writeAAFAcademy(tb testing.TB, dir string, n int) {
	tb.Helper()
	const perEst, chunk = 1000, 50_000
	ests := (n + perEst - 1) / perEst
	create := func(cat aaf.Category, i int) (*os.File, *aaf.Writer) {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("BENCH_Complet_20250825_%s_%04d.xml", cat, i)))
		if err != nil {
			tb.Fatal(err)
		}
		return f, aaf.NewWriter(f, cat)
	}
	closeW := func(f *os.File, w *aaf.Writer) {
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		if err := f.Close(); err != nil {
			tb.Fatal(err)
		}
	}
	f, w := create(aaf.CategoryStructure, 0)
	for e := 0; e < ests; e++ {
		id := strconv.Itoa(80000 + e)
		if err := w.Add(id, map[string][]string{aaf.AttrStructJoin: {id}, aaf.AttrUAI: {string(nthUAI(20000 + e))},
			aaf.AttrStructName: {"LYCEE " + id}, aaf.AttrStructType: {"LYCEE PROFESSIONNEL"}}); err != nil {
			tb.Fatal(err)
		}
	}
	closeW(f, w)
	first := []string{"Léa", "Hugo", "Jade", "Louis", "Emma", "Noé", "Inès", "Tom", "Zoé", "Adam", "Chloé", "Nathan"}
	last := []string{"Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent", "Simon", "Michel", "Lefèvre", "Leroy"}
	var sw, pw *aaf.Writer
	var sf, pf *os.File
	parent := 0
	for i := 0; i < n; i++ {
		if i%chunk == 0 {
			if sw != nil {
				closeW(sf, sw)
			}
			sf, sw = create(aaf.CategoryStudent, i/chunk)
		}
		e := strconv.Itoa(80000 + i/perEst)
		id := strconv.Itoa(1_000_000 + i)
		if i%10 != 1 { // one in ten is the sibling of the previous student
			parent += 2
		}
		p1, p2 := strconv.Itoa(5_000_000+parent-2), strconv.Itoa(5_000_000+parent-1)
		attrs := map[string][]string{aaf.AttrJoin: {id}, aaf.AttrSIECLEID: {strconv.Itoa(i)}, aaf.AttrINE: {fmt.Sprintf("%09dBA", 100_000_000+i)},
			aaf.AttrLastName: {last[i%len(last)]}, aaf.AttrFirstName: {first[(i/len(last))%len(first)]}, aaf.AttrBirthDate: {"14/09/2009"},
			aaf.AttrCivility: {"M."}, aaf.AttrStructures: {e}, aaf.AttrClasses: {fmt.Sprintf("%s$2PRO%02d", e, (i%perEst)/30)},
			aaf.AttrStudentMEF: {"24025510110"}, aaf.AttrRelatives: {p1 + "$20$1$1$1$1", p2 + "$10$0$1$1$0"}}
		if err := sw.Add(id, attrs); err != nil {
			tb.Fatal(err)
		}
	}
	closeW(sf, sw)
	for p := 0; p < parent; p++ {
		if p%chunk == 0 {
			if pw != nil {
				closeW(pf, pw)
			}
			pf, pw = create(aaf.CategoryRelative, p/chunk)
		}
		id := strconv.Itoa(5_000_000 + p)
		if err := pw.Add(id, map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {last[(p/2)%len(last)]}, aaf.AttrFirstName: {first[(p+3)%len(first)]},
			aaf.AttrCivility: {"Mme"}, aaf.AttrEmail: {"parent" + id + "@example.org"}}); err != nil {
			tb.Fatal(err)
		}
	}
	closeW(pf, pw)
	f, w = create(aaf.CategoryStaff, 0)
	for e := 0; e < ests; e++ {
		es := strconv.Itoa(80000 + e)
		for k := 0; k < 60; k++ {
			id := fmt.Sprintf("9%04d%02d", e, k)
			if err := w.Add(id, map[string][]string{aaf.AttrJoin: {id}, aaf.AttrLastName: {last[k%len(last)]}, aaf.AttrFirstName: {first[k%len(first)]},
				aaf.AttrStructures: {es}, aaf.AttrFunctions: {es + "$ENS$ENSEIGNEMENT$L1300$MATHS"},
				aaf.AttrClassSubjects: {fmt.Sprintf("%s$2PRO%02d$061300", es, k%34)}}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	closeW(f, w)
}

// TestWriteAAFAcademy writes the generated académie of the AAF benchmark
// into SILLAGE_BENCH_AAF_DIR, for a run of the command line under
// /usr/bin/time -v (docs in the report).
func TestWriteAAFAcademy(t *testing.T) {
	dir := os.Getenv("SILLAGE_BENCH_AAF_DIR")
	if dir == "" {
		t.Skip("set SILLAGE_BENCH_AAF_DIR and SILLAGE_BENCH_AAF_STUDENTS to write the generated AAF académie")
	}
	n := aafBenchStudentsT(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeAAFAcademy(t, dir, n)
}

func aafBenchStudentsT(tb testing.TB) int {
	v := os.Getenv("SILLAGE_BENCH_AAF_STUDENTS")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Skip("set SILLAGE_BENCH_AAF_STUDENTS (e.g. 500000)")
	}
	return n
}

// BenchmarkAAFImport imports a generated Complet set of an académie (see
// aafBenchStudents: 5,000 students by default, SILLAGE_BENCH_SCALE=1 for
// the 500,000 of the target) with their parents and teachers into a fresh
// database, on each engine; run it with -benchtime 1x. In the same run it
// measures the physical limit, encoding/xml alone decoding the same files
// (rawDecode), the process's CPU time during the import (cpu-s/import:
// the wall time on a shared machine depends on its load) and its peak RSS
// (VmHWM, reset before it: Linux only).
func BenchmarkAAFImport(b *testing.B) {
	n := aafBenchStudents(b)
	dir := b.TempDir()
	writeAAFAcademy(b, dir, n)
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil || len(files) == 0 {
		b.Fatalf("files: %v", err)
	}
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			var decode, cpu, total time.Duration
			var peak int64
			for b.Loop() {
				b.StopTimer()
				start := time.Now()
				records := 0
				for _, name := range files {
					f, err := os.Open(name)
					if err != nil {
						b.Fatal(err)
					}
					k, err := rawDecode(f, "addRequest", "modifyRequest", "deleteRequest")
					f.Close()
					if err != nil {
						b.Fatal(err)
					}
					records += k
				}
				decode += time.Since(start)
				if records < n {
					b.Fatalf("%d records decoded", records)
				}
				st := storetest.Open(b, kind, &storetest.Clock{T: storetest.Epoch})
				im := &directory.Importer{Store: st, Keyring: testKeyring, TempDir: b.TempDir()}
				runtime.GC()
				resetPeakRSS()
				c0 := storeCPU(b, st)
				b.StartTimer()
				res, err := im.AAF(context.Background(), []string{dir}, directory.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				c1 := storeCPU(b, st)
				cpu += c1.Self - c0.Self
				total += c1.Since(c0)
				peak = max(peak, peakRSS())
				b.StartTimer()
				created := 0
				for _, rep := range res.Reports {
					created += rep.Count(directory.KindStudents).Created
				}
				if created != n {
					b.Fatalf("%d students created, want %d", created, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "students/s")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/import")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/import")
			if kind == store.Postgres {
				b.ReportMetric(total.Seconds()/float64(b.N), "cpu+server-s/import")
			}
			b.ReportMetric(loadAvg1(), "load1")
			b.ReportMetric(decode.Seconds()/float64(b.N), "raw-s")
			b.ReportMetric(decode.Seconds()/b.Elapsed().Seconds(), "ratio-to-raw")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			}
		})
	}
}

// resetPeakRSS resets the process's peak RSS (VmHWM) to its current RSS.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's peak RSS since the last reset, in bytes
// (0 where /proc is not there).
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
