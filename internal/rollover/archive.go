package rollover

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// commitBatch is how many archives one transaction records.
const commitBatch = 64

// archiveJob is one archive to write.
type archiveJob struct {
	item     string // checkpoint name
	division *sillage.Division
	student  *records.StudentRecord
	lsu      bool // the establishment's LSU archive
}

// written is an archive in the blob store, waiting for its row.
type written struct {
	job  archiveJob
	ref  blob.Ref
	raw  int64
	err  error
	took time.Duration
}

// ArchiveStats are the throughput figures of a step 2 (benchmarks).
type ArchiveStats struct {
	Archives int
	Students int
	RawBytes int64 // uncompressed bytes of the entries
	ZipBytes int64
}

// archive is step 2: a ZIP per division in the establishment's Archives,
// a ZIP per student in their document space, the class spaces to the
// trash with their rights rewritten; then year N is closed to imports and
// to the LSU export. Each archive is recorded with its checkpoint in one
// transaction, so a resumed run writes only the missing ones.
func (r *run) archive() (func(*store.Tx) error, error) {
	ctx, uai, year := r.ctx, r.uai, r.year
	d := &yearData{year: year, est: r.est, students: map[int64]*records.StudentRecord{}, byDivision: map[int64][]*classEval{},
		pdfsOf: map[int64][]sillage.ReportPDF{}, exports: map[string][]sillage.LSUExport{}}
	d.from, d.to = YearSpan(year)
	var concerned []int64
	var cal Calendar
	t0 := time.Now()
	err := r.e.Store.Read(ctx, func(tx *store.Tx) (err error) {
		if cal, err = LoadCalendar(ctx, tx, year); err != nil {
			return err
		}
		if d.recs, err = records.Load(ctx, tx, uai, nil); err != nil {
			return err
		}
		if d.divisions, err = tx.People().ListDivisions(ctx, uai, year); err != nil {
			return err
		}
		if d.pdfs, err = tx.Livret().ListReportPDFsByDivision(ctx, uai, year); err != nil {
			return err
		}
		exports, err := tx.Livret().ListLSUExports(ctx, uai, year)
		if err != nil {
			return err
		}
		for _, x := range exports {
			if x.FileSHA256 != "" {
				code := divisionOfExport(x.Selection)
				d.exports[code] = append(d.exports[code], x)
			}
		}
		concerned, err = tx.Rollover().ListYearStudents(ctx, uai, year, d.from, d.to)
		return err
	})
	if err != nil {
		return nil, err
	}
	if today := sillage.DateOf(r.started); !cal.Step(StepArchive).Contains(today) {
		r.rep.warn("étape lancée le %s, hors de ses dates au calendrier (%s)", today.French(), cal.Step(StepArchive).French())
	}
	for i := range d.recs.Students {
		sr := &d.recs.Students[i]
		d.students[sr.Student.ID] = sr
	}
	for _, list := range d.pdfs {
		for _, p := range list {
			d.pdfsOf[p.StudentID] = append(d.pdfsOf[p.StudentID], p)
		}
	}
	// The evaluations of year N by division, with every student's results.
	evals := map[int64]*classEval{}
	for _, sr := range d.students {
		for _, er := range sr.Evaluations {
			if er.SchoolYear != year || er.DivisionID == 0 {
				continue
			}
			ce := evals[er.ID]
			if ce == nil {
				ce = &classEval{Evaluation: er.Evaluation, ref: er.Referential, results: map[int64][]records.CompetenceResult{}, comments: map[int64]string{}}
				evals[er.ID] = ce
				d.byDivision[er.DivisionID] = append(d.byDivision[er.DivisionID], ce)
			}
			ce.results[sr.Student.ID] = er.Results
			if er.Comment != "" {
				ce.comments[sr.Student.ID] = er.Comment
			}
		}
	}
	for _, list := range d.byDivision {
		sort.Slice(list, func(i, j int) bool {
			if list[i].Date != list[j].Date {
				return list[i].Date.Before(list[j].Date)
			}
			return list[i].ID < list[j].ID
		})
	}

	cps, err := r.checkpoints()
	if err != nil {
		return nil, err
	}
	var jobs []archiveJob
	for i := range d.divisions {
		if item := "division:" + strconv.FormatInt(d.divisions[i].ID, 10); cps[item].Item == "" {
			jobs = append(jobs, archiveJob{item: item, division: &d.divisions[i]})
		}
	}
	if len(d.exports[""]) > 0 && cps["lsu"].Item == "" {
		jobs = append(jobs, archiveJob{item: "lsu", lsu: true})
	}
	for _, id := range concerned {
		item := "student:" + strconv.FormatInt(id, 10)
		if sr := d.students[id]; sr != nil && cps[item].Item == "" {
			jobs = append(jobs, archiveJob{item: item, student: sr})
		}
	}
	total := len(cps) + len(jobs) + 1
	done := len(cps)
	r.progress(done, total)
	t1 := time.Now()
	if err := r.writeArchives(d, jobs, func(n int) { done += n; r.progress(done, total) }); err != nil {
		return nil, err
	}
	r.e.log().Info("rollover archives written", "uai", uai, "archives", len(jobs), "read", t1.Sub(t0), "write", time.Since(t1))

	// The class spaces go to the trash with their rights rewritten.
	if cps["spaces"].Item == "" {
		err := r.e.Store.Write(ctx, func(tx *store.Tx) error {
			// The spaces' state and rights go to the undo pack first (the
			// pack exists even without a space: the undo needs it).
			scoped, err := tx.Rollover().ListYearScopedIDs(ctx, uai, year)
			if err != nil {
				return err
			}
			if _, err := r.packID(tx); err != nil {
				return err
			}
			if err := r.packSpaces(tx, scoped["class_spaces"]); err != nil {
				return err
			}
			n, err := trashSpaces(ctx, tx, uai, year)
			if err != nil {
				return err
			}
			if err := r.checkpoint(tx, "spaces", int64(n), 0, ""); err != nil {
				return err
			}
			return r.fail("spaces")
		})
		if err != nil {
			return nil, err
		}
	}
	r.progress(total, total)

	// The report, from the checkpoints (this run's and the earlier ones').
	cps, err = r.checkpoints()
	if err != nil {
		return nil, err
	}
	var classes, students, lsu int
	var classBytes, studentBytes int64
	for _, c := range cps {
		switch {
		case len(c.Item) > 9 && c.Item[:9] == "division:":
			classes++
			classBytes += c.Size
			r.rep.Details = append(r.rep.Details, c.Detail)
		case len(c.Item) > 8 && c.Item[:8] == "student:":
			students++
			studentBytes += c.Size
		case c.Item == "lsu":
			lsu++
			classBytes += c.Size
			r.rep.Details = append(r.rep.Details, c.Detail)
		}
	}
	sort.Strings(r.rep.Details)
	r.rep.count("class_archives", "Archives de classe écrites", int64(classes))
	r.rep.count("class_bytes", "Taille des archives de classe (octets)", classBytes)
	if lsu > 0 {
		r.rep.count("lsu_archives", "Archive des fichiers LSU de l'établissement", int64(lsu))
	}
	r.rep.count("student_archives", "Archives d'élève écrites", int64(students))
	r.rep.count("student_bytes", "Taille des archives d'élève (octets)", studentBytes)
	r.rep.count("class_spaces", "Espaces de classe mis à la corbeille", cps["spaces"].RefID)
	if students > 0 {
		r.rep.Details = append(r.rep.Details, fmt.Sprintf("Archives d'élève : %d, %s en tout, %s en moyenne", students, sillage.FormatSize(studentBytes), sillage.FormatSize(studentBytes/int64(students))))
	}
	return func(tx *store.Tx) error {
		// Year N is closed to ordinary imports until step 4, and archived
		// for the Livret; the state as it was is kept for the undo.
		before, err := tx.Rollover().GetYearState(ctx, uai)
		if err != nil {
			return err
		}
		if err := keepYearState(tx, r, before); err != nil {
			return err
		}
		return tx.Rollover().SetYearState(ctx, uai, before.Close(year))
	}, nil
}

// trashSpaces moves the live class spaces of year and before to the trash.
func trashSpaces(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) (int, error) {
	spaces, err := tx.Rollover().ListClassSpaces(ctx, uai, sillage.ClassSpaceFilter{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sp := range spaces {
		if sp.SchoolYear > year {
			continue
		}
		managers, err := SpaceManagers(ctx, tx, uai, sp)
		if err != nil {
			return n, err
		}
		ok, err := tx.Rollover().TrashClassSpace(ctx, uai, sp.ID, managers)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// writeArchives writes the archives with e.workers() writers in parallel
// and records them in batches; onCommit is told how many were recorded.
func (r *run) writeArchives(d *yearData, jobs []archiveJob, onCommit func(int)) error {
	if len(jobs) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	in := make(chan archiveJob)
	out := make(chan written, r.e.workers())
	var wg sync.WaitGroup
	for range r.e.workers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range in {
				start := time.Now()
				ref, raw, err := r.writeOne(ctx, d, j)
				out <- written{job: j, ref: ref, raw: raw, err: err, took: time.Since(start)}
			}
		}()
	}
	go func() {
		defer close(in)
		for _, j := range jobs {
			select {
			case in <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()

	var batch []written
	var firstErr error
	var flushTime, workTime time.Duration
	defer func() { r.e.log().Debug("archive writers", "work", workTime, "flush", flushTime) }()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		fs := time.Now()
		defer func() { flushTime += time.Since(fs) }()
		if err := r.e.Blobs.Sync(); err != nil {
			return err
		}
		err := r.e.Store.Write(r.ctx, func(tx *store.Tx) error {
			for _, w := range batch {
				if err := r.record(tx, d, w); err != nil {
					return err
				}
			}
			// A batch may hold class and student archives: each kind's
			// failpoint is reached by the batches that record one.
			var classes, students bool
			for _, w := range batch {
				students = students || w.job.student != nil
				classes = classes || w.job.student == nil
			}
			if classes {
				if err := r.fail("division"); err != nil {
					return err
				}
			}
			if students {
				return r.fail("student")
			}
			return nil
		})
		if err == nil {
			onCommit(len(batch))
		}
		batch = batch[:0]
		return err
	}
	for w := range out {
		if firstErr != nil {
			continue // drain
		}
		if w.err != nil {
			firstErr = w.err
			cancel()
			continue
		}
		workTime += w.took
		batch = append(batch, w)
		// Class and student archives share the batches: a batch costs a
		// flush of the files and their folders then a commit, whose waits
		// stall the writers (recording each class archive alone took a
		// tenth of an establishment's time).
		if len(batch) >= commitBatch {
			if err := flush(); err != nil {
				firstErr = err
				cancel()
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	return flush()
}

// writeOne writes one archive into the blob store, streamed through a pipe.
func (r *run) writeOne(ctx context.Context, d *yearData, j archiveJob) (blob.Ref, int64, error) {
	if err := ctx.Err(); err != nil {
		return blob.Ref{}, 0, err
	}
	var raw int64
	ref, err := putZip(r.e.Blobs, r.started, func(a *archiveWriter) error {
		var err error
		switch {
		case j.division != nil:
			err = d.writeClass(a, r.e.Blobs, *j.division)
		case j.lsu:
			err = d.writeEstablishmentLSU(a, r.e.Blobs)
		default:
			err = d.writeStudent(a, r.e.Blobs, j.student)
		}
		raw = a.raw
		return err
	})
	if err != nil {
		what := j.item
		if j.division != nil {
			what = "division " + j.division.Code
		}
		return ref, raw, fmt.Errorf("archive %s : %w", what, err)
	}
	return ref, raw, nil
}

// putZip streams the ZIP write produces into the blob store: the writer
// runs in its own goroutine on one end of a pipe, the store reads the
// other end, so the archive is never held in memory. The file is not synced
// here: see flush in writeArchives.
func putZip(blobs blob.Store, modified time.Time, write func(a *archiveWriter) error) (blob.Ref, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		a := newArchiveWriter(pw, modified)
		err := write(a)
		if err == nil {
			err = a.close()
		}
		pw.CloseWithError(err)
		done <- err
	}()
	// No sync per archive: flush syncs the file system once before the
	// batch's rows are committed (a row never points at an unsynced file).
	ref, err := blobs.PutDeferred(pr)
	pr.CloseWithError(io.ErrClosedPipe) // unblocks the writer if Put stopped early
	werr := <-done
	if werr != nil && werr != io.ErrClosedPipe {
		return ref, werr
	}
	return ref, err
}

// record writes an archive's row and its checkpoint.
func (r *run) record(tx *store.Tx, d *yearData, w written) error {
	ctx, uai := r.ctx, r.uai
	switch {
	case w.job.division != nil:
		div := *w.job.division
		a := sillage.Archive{SchoolYear: d.year, DivisionCode: div.Code, Name: ClassArchiveName(d.year, div.Code), SHA256: w.ref.SHA256, Size: w.ref.Size}
		if err := tx.Records().AddArchive(ctx, uai, &a); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s : %d élève(s), %d évaluation(s), %s", a.Name, len(d.classMembers(div)), len(d.byDivision[div.ID]), sillage.FormatSize(a.Size))
		return r.checkpoint(tx, w.job.item, a.ID, a.Size, detail)
	case w.job.lsu:
		a := sillage.Archive{SchoolYear: d.year, Name: EstablishmentArchiveName(d.year), SHA256: w.ref.SHA256, Size: w.ref.Size}
		if err := tx.Records().AddArchive(ctx, uai, &a); err != nil {
			return err
		}
		return r.checkpoint(tx, w.job.item, a.ID, a.Size, fmt.Sprintf("%s : %d fichier(s) LSU, %s", a.Name, len(d.exports[""]), sillage.FormatSize(a.Size)))
	default:
		doc := sillage.Document{StudentID: w.job.student.Student.ID, Kind: sillage.DocumentArchive, Name: StudentArchiveName(d.year),
			SHA256: w.ref.SHA256, Size: w.ref.Size, ContentType: "application/zip", SchoolYear: d.year}
		if err := tx.Records().AddDocument(ctx, uai, &doc); err != nil {
			return err
		}
		return r.checkpoint(tx, w.job.item, doc.ID, doc.Size, "")
	}
}
