package rollover_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// Benchmarks of rollover.md's scale target (performance.md): the archives
// of step 2 against raw deflate of the same bytes, and the whole
// changeover. Sizes come from the environment, so the same benchmarks run
// small in the suite and large by hand:
//
//	SILLAGE_BENCH_STUDENTS=20000 SILLAGE_BENCH_ESTABLISHMENTS=20 go test ./internal/rollover -run x -bench . -benchtime 1x

func benchSize(b *testing.B) (establishments, students int) {
	establishments, students = 3, 360
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_ESTABLISHMENTS")); err == nil && v > 0 {
		establishments = v
	}
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_STUDENTS")); err == nil && v > 0 {
		students = v
	}
	return
}

// benchWorld builds a world ready for step 2 (step 1 done).
func benchWorld(b *testing.B, kind store.Kind) *world {
	est, students := benchSize(b)
	clock := &storetest.Clock{}
	st := storetest.Open(b, kind, clock)
	w := newWorld(b, st, clock, est, students)
	if os.Getenv("SILLAGE_BENCH_LOG") != "" {
		// The engine's log, debug included: the archives' read, write and
		// flush times per establishment.
		w.e.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	bigAttachments(b, w)
	w.clock.T = at(N, time.July, 15, 8)
	w.run(N, rollover.StepPurge)
	w.clock.T = at(N, time.July, 16, 8)
	return w
}

// bigAttachments gives every sheet's file SILLAGE_BENCH_ATTACHMENT_KB
// kilobytes of its own (the demo's files are tiny; real ones are scans and
// photos: PDFs of compressed images, stored in the archives as they are).
func bigAttachments(b *testing.B, w *world) {
	kb, _ := strconv.Atoi(os.Getenv("SILLAGE_BENCH_ATTACHMENT_KB"))
	if kb <= 0 {
		return
	}
	rows := queryLines(b, w.st.SQLDB(), `SELECT uai || '|' || id FROM attachments`)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, kb<<10)
	for _, row := range rows {
		uai, id, _ := strings.Cut(row, "|")
		head := copy(buf, "%PDF-1.4\n1 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode >>\nstream\n")
		for i := head; i+8 <= len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
		}
		ref, err := w.blobs.Put(bytes.NewReader(buf))
		if err != nil {
			b.Fatal(err)
		}
		q := `UPDATE attachments SET sha256 = $1, size = $2 WHERE uai = $3 AND id = $4`
		if w.st.Kind() == store.SQLite {
			q = `UPDATE attachments SET sha256 = ?1, size = ?2 WHERE uai = ?3 AND id = ?4`
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		if _, err := w.st.SQLDB().Exec(q, ref.SHA256, ref.Size, uai, n); err != nil {
			b.Fatal(err)
		}
	}
}

// resetArchives forgets step 2 (its archives, documents and checkpoints)
// and removes the archives' files, so the next iteration writes everything
// again as a real run does: new files, not content already stored (whose
// write only renews the date of the stored copy).
func resetArchives(b *testing.B, w *world) {
	st := w.st
	db := st.SQLDB()
	for _, sha := range queryLines(b, db, `SELECT sha256 FROM archives UNION SELECT sha256 FROM documents WHERE kind = 'archive'`) {
		if _, err := w.blobs.RemoveIfUnreferenced(sha, func(string) (bool, error) { return false, nil }); err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{`DELETE FROM archives`, `DELETE FROM documents WHERE kind = 'archive'`,
		`DELETE FROM rollover_checkpoints WHERE step = 2`, `DELETE FROM rollover_steps WHERE step = 2`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
}

// rawBytes returns the uncompressed content of the archives' deflated
// entries (the bytes the archive step actually compressed), one slice per
// entry, and how many bytes it stored as they were (files compressed
// already).
func rawBytes(b *testing.B, w *world) (deflated [][]byte, stored int64) {
	lines := queryLines(w.t, w.st.SQLDB(), `SELECT sha256 FROM archives UNION ALL SELECT sha256 FROM documents WHERE kind = 'archive'`)
	for _, sha := range lines {
		f, err := w.blobs.Open(sha)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := f.Stat()
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range zr.File {
			if e.Method != zip.Deflate {
				stored += int64(e.UncompressedSize64)
				continue
			}
			rc, err := e.Open()
			if err != nil {
				b.Fatal(err)
			}
			var out bytes.Buffer
			io.Copy(&out, rc)
			rc.Close()
			deflated = append(deflated, out.Bytes())
		}
		f.Close()
	}
	return deflated, stored
}

// deflateTime is the fastest of passes of raw deflate, at the archives'
// level, over the entries: as one stream, or entry by entry (a deflate
// stream each, as a ZIP must). The fastest pass, so that a pass slowed by
// the machine's other work does not lower the limit. cpu is the least
// processor time of a pass, measured on the goroutine's own OS thread
// (threadCPU): the elapsed time of a pass includes the time other work
// held the processor, its thread's processor time does not; 0 when it is
// not known.
func deflateTime(entries [][]byte, perEntry bool, passes int) (wall, cpu time.Duration) {
	var all []byte
	if !perEntry {
		all = bytes.Join(entries, nil)
	}
	fw, _ := flate.NewWriter(io.Discard, flate.BestSpeed)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall, cpu = time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
	cpuKnown := true
	for range passes {
		start := time.Now()
		startCPU, ok := threadCPU()
		if perEntry {
			for _, e := range entries {
				fw.Reset(io.Discard)
				fw.Write(e)
				fw.Close()
			}
		} else {
			fw.Reset(io.Discard)
			fw.Write(all)
			fw.Close()
		}
		wall = min(wall, time.Since(start))
		endCPU, endOK := threadCPU()
		cpuKnown = cpuKnown && ok && endOK
		cpu = min(cpu, endCPU-startCPU)
	}
	if !cpuKnown || cpu <= 0 {
		cpu = 0
	}
	return wall, cpu
}

// BenchmarkArchive measures step 2 (every class and student archive of the
// instance, streamed into the file store) in students/s, and its raw limit
// in the same run: raw deflate, at the archives' level, of the bytes the
// archives deflated (the files compressed already are stored: they are not
// compressed, so not part of the limit; their size is reported beside).
// The ratio compares the two throughputs over the same deflated bytes:
// ratio-to-raw against deflate of them as one stream, ratio-to-raw-entries
// against deflate entry by entry (a ZIP compresses each entry on its own:
// with entries of a few kilobytes, building each one's Huffman tables costs
// more than compressing its bytes). cpu-ms/op is the archives' processor
// time (this process's, all threads); cpu-ratio-to-raw and
// cpu-ratio-to-raw-entries are the two ratios in processor time on both
// sides: the archives' against the limit's, measured on the thread that
// deflates (raw-entries-cpu-MB/s), so that neither side counts the time
// other work held the processor. They are the ratios to read on a shared
// machine; the elapsed ones move with its load.
//
// The target of performance.md ("archive writing ≥ 30% of raw deflate of
// the bytes compressed") is ratio-to-raw-entries: a ZIP must deflate each
// entry as a stream of its own (that is what lets a reader open one entry,
// and what lets the archives store the files compressed already), so
// deflating the same bytes entry by entry is the physical limit of writing
// these archives; one-stream deflate is a limit no ZIP can reach, reported
// beside to show what the format costs.
func BenchmarkArchive(b *testing.B) {
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			w := benchWorld(b, kind)
			ctx := context.Background()
			var students int
			var archiveTime, archiveCPU time.Duration
			var raw [][]byte
			var stored int64
			for b.Loop() {
				b.StopTimer()
				resetArchives(b, w)
				b.StartTimer()
				start, startCPU := time.Now(), cpuTime()
				res, err := w.e.Run(ctx, rollover.Request{Year: N, Step: rollover.StepArchive})
				if err != nil || res.Failed() {
					b.Fatalf("%v %+v", err, res)
				}
				archiveTime += time.Since(start)
				archiveCPU += cpuTime() - startCPU
				for _, o := range res.Outcomes {
					students += int(o.Report.Get("student_archives"))
				}
				b.StopTimer()
				raw, stored = rawBytes(b, w)
				b.StartTimer()
			}
			if len(raw) == 0 {
				b.Fatal("no deflated entry in the archives")
			}
			if kb, _ := strconv.Atoi(os.Getenv("SILLAGE_BENCH_ATTACHMENT_KB")); kb > 0 && stored == 0 {
				b.Fatal("the attachments compressed already were deflated again, not stored")
			}
			// The raw limit: the deflated bytes through deflate, same level,
			// as one stream; beside it, the same entry by entry (what a ZIP
			// cannot avoid: a deflate stream per entry).
			var size int
			for _, e := range raw {
				size += len(e)
			}
			const passes = 5
			rawWall, rawCPU := deflateTime(raw, false, passes)
			entryWall, entryCPU := deflateTime(raw, true, passes)
			rawRate := float64(size) / rawWall.Seconds()
			entryRate := float64(size) / entryWall.Seconds()
			archiveRate := float64(size) * float64(b.N) / archiveTime.Seconds()
			b.ReportMetric(float64(students)/archiveTime.Seconds(), "students/s")
			b.ReportMetric(archiveRate/1e6, "MB/s")
			b.ReportMetric(rawRate/1e6, "raw-MB/s")
			b.ReportMetric(entryRate/1e6, "raw-entries-MB/s")
			b.ReportMetric(float64(size)/1e6, "MB-deflated")
			b.ReportMetric(float64(stored)/1e6, "MB-stored")
			b.ReportMetric(archiveRate/rawRate, "ratio-to-raw")
			b.ReportMetric(archiveRate/entryRate, "ratio-to-raw-entries")
			// The processor time of the archives (this process's: not the
			// PostgreSQL server's) against the limit's processor time (its
			// thread's): both sides in processor time, steadier than the
			// elapsed times when the machine is shared. Dividing by the
			// limit's elapsed time instead would flatter the ratio under
			// load, the limit's elapsed time growing with the other work.
			if archiveCPU > 0 {
				b.ReportMetric(archiveCPU.Seconds()*1e3/float64(b.N), "cpu-ms/op")
			}
			if archiveCPU > 0 && rawCPU > 0 && entryCPU > 0 {
				archiveCPURate := float64(size) * float64(b.N) / archiveCPU.Seconds()
				entryCPURate := float64(size) / entryCPU.Seconds()
				b.ReportMetric(entryCPURate/1e6, "raw-entries-cpu-MB/s")
				b.ReportMetric(archiveCPURate/(float64(size)/rawCPU.Seconds()), "cpu-ratio-to-raw")
				b.ReportMetric(archiveCPURate/entryCPURate, "cpu-ratio-to-raw-entries")
			}
		})
	}
}

// BenchmarkChangeover runs the five steps of a generated instance (step 4
// imports a SIECLE file of N+1 per establishment) and reports students/s
// and the time a 1,000,000-student instance would take at that rate.
func BenchmarkChangeover(b *testing.B) {
	for _, kind := range storetest.Engines(b) {
		b.Run(string(kind), func(b *testing.B) {
			est, students := benchSize(b)
			var total time.Duration
			var perStep [rollover.StepCount]time.Duration
			for b.Loop() {
				b.StopTimer()
				clock := &storetest.Clock{}
				st := storetest.Open(b, kind, clock)
				w := newWorld(b, st, clock, est, students)
				files := w.nextYearFiles(N)
				b.StartTimer()
				for _, s := range rollover.Steps {
					w.clock.T = at(N, time.July, 14+int(s), 8)
					if s >= rollover.StepDirectory {
						w.clock.T = at(N, time.August, 13+int(s), 8)
					}
					start := time.Now()
					w.run(N, s, func(r *rollover.Request) { r.Files = files })
					d := time.Since(start)
					perStep[s-1] += d
					total += d
				}
			}
			n := float64(b.N)
			rate := float64(students) * n / total.Seconds()
			b.ReportMetric(rate, "students/s")
			b.ReportMetric(1e6/rate/60, "min-per-1M-students")
			for i, d := range perStep {
				b.ReportMetric(d.Seconds()/n, "s-step"+strconv.Itoa(i+1))
			}
		})
	}
}

// benchWorkers is the archive writers (SILLAGE_BENCH_WORKERS, default 2).
func benchWorkers() int {
	if v, err := strconv.Atoi(os.Getenv("SILLAGE_BENCH_WORKERS")); err == nil && v > 0 {
		return v
	}
	return 2
}
