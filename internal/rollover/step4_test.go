package rollover_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// hookRecorder records the establishments the engine's AfterImport hook
// is called with.
type hookRecorder struct {
	mu   sync.Mutex
	uais []sillage.UAI
}

func (h *hookRecorder) afterImport(ctx context.Context, uais []sillage.UAI) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.uais = append(h.uais, uais...)
	return nil
}

func (h *hookRecorder) got() []sillage.UAI {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := slices.Clone(h.uais)
	slices.Sort(out)
	return out
}

// upload stores the file at path as uai's initialisation file of N+1 and
// returns its blob.
func (w *world) upload(uai sillage.UAI, path string) string {
	w.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	f, err := rollover.UploadInitFile(w.ctx, w.st, rollover.SealedPut(w.blobs, w.e.Box), uai, N, filepath.Base(path),
		bytes.NewReader(data), int64(len(data)), w.fx[uai].admin, audit.Actor{Role: "administrator", Name: "admin"})
	if err != nil {
		w.t.Fatal(err)
	}
	return f.SHA256
}

// activeStudents counts uai's active students.
func (w *world) activeStudents(uai sillage.UAI) int {
	var n int
	w.read(func(tx *store.Tx) error {
		ss, err := tx.People().ListStudents(w.ctx, uai, sillage.StudentFilter{ActiveOnly: true})
		n = len(ss)
		return err
	})
	return n
}

func (w *world) stepState(uai sillage.UAI, s rollover.Step) sillage.RolloverStep {
	var st sillage.RolloverStep
	w.read(func(tx *store.Tx) (err error) {
		st, err = tx.Rollover().GetRolloverStep(w.ctx, uai, N, int(s))
		return err
	})
	return st
}

// TestMassDeactivationGuard: the initialisation file of a lycée deactivates
// the students who left, beyond the mass-deactivation share. Without the
// operator's confirmation the guard holds step 4 with a clear report (the
// figures, what to do) and nothing is imported; the dry run and the plan
// say it beforehand; the confirmed run completes.
func TestMassDeactivationGuard(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 1, 144) // three levels: a third leave
		w.e.ConfirmMassDeactivation = false
		ctx, uai := w.ctx, w.uais[0]
		w.changeoverUpTo(rollover.StepCleanup)
		clock.T = at(N, time.August, 17, 8)
		active := w.activeStudents(uai)
		files := w.nextYearFiles(N)
		req := rollover.Request{Year: N, Step: rollover.StepDirectory, Files: files, Actor: audit.Actor{Role: "operator", Name: "test"}}

		// The dry run says the guard would hold, with the figures.
		dry := req
		dry.DryRun = true
		res, err := w.e.Run(ctx, dry)
		if err != nil {
			t.Fatal(err)
		}
		sim := res.Outcomes[0].Plan.Simulation
		if !sim.WouldHold() || res.Outcomes[0].Plan.Get("mass_deactivation_hold") != 1 {
			t.Fatalf("dry run: the guard should hold: %+v", sim)
		}
		left := sim.Deactivated
		if left*10 <= active*3 {
			t.Fatalf("the test needs a mass deactivation: %d of %d", left, active)
		}
		if !strings.Contains(strings.Join(res.Outcomes[0].Plan.Warnings, "\n"), "Désactivation massive : élèves : ") {
			t.Fatalf("dry run warnings: %q", res.Outcomes[0].Plan.Warnings)
		}

		// Held: a clear report, the step failed, nothing imported.
		o := w.e.RunOne(ctx, req, uai)
		if o.Status != rollover.OutcomeHeld || len(o.Guards) != 1 || o.Guards[0].Deactivated != left || o.Guards[0].Active != active {
			t.Fatalf("held run: %+v", o)
		}
		for _, want := range []string{"désactivation massive à confirmer pour " + string(uai), "élèves : ", "désactivé(s) sur", "seuil 30 %",
			"rien n'a été importé", "« confirmer la désactivation massive »", "--confirm-mass-deactivation"} {
			if !strings.Contains(o.Message, want) {
				t.Fatalf("held message lacks %q: %s", want, o.Message)
			}
		}
		if sillage.KindOf(o.Err) != sillage.KindConflict {
			t.Fatalf("held of kind %v", sillage.KindOf(o.Err))
		}
		if s := w.stepState(uai, rollover.StepDirectory); s.State != sillage.StepFailed || s.Error != o.Message {
			t.Fatalf("step state %s %q", s.State, s.Error)
		}
		if n := w.activeStudents(uai); n != active {
			t.Fatalf("held import deactivated students: %d → %d", active, n)
		}
		w.read(func(tx *store.Tx) error {
			if divs, _ := tx.People().ListDivisions(ctx, uai, N+1); len(divs) != 0 {
				t.Fatalf("held import created divisions: %d", len(divs))
			}
			return nil
		})
		// The plan shows the hold until the step is done.
		p, err := w.e.PlanOne(ctx, N, uai)
		if err != nil {
			t.Fatal(err)
		}
		if sp := p.Steps[rollover.StepDirectory-1]; sp.Get("mass_deactivation_hold") != 1 || !strings.Contains(strings.Join(sp.Warnings, "\n"), "retenu") {
			t.Fatalf("plan after the hold: %+v %q", sp.Counts, sp.Warnings)
		}
		// Another establishment's confirmation does not count.
		other := req
		other.Confirm = rollover.Confirmations{UAIs: []sillage.UAI{"0860099X"}}
		if o := w.e.RunOne(ctx, other, uai); o.Status != rollover.OutcomeHeld {
			t.Fatalf("run confirmed for another establishment: %s", o.Status)
		}

		// Confirmed for this establishment: done.
		req.Confirm = rollover.Confirmations{UAIs: []sillage.UAI{uai}}
		o = w.e.RunOne(ctx, req, uai)
		if o.Status != rollover.OutcomeDone || o.Report.Get("students_deactivated") != int64(left) {
			t.Fatalf("confirmed run: %s %s %+v", o.Status, o.Message, o.Report)
		}
		if n := w.activeStudents(uai); n != active-left+3 {
			t.Fatalf("after the import: %d active, want %d", n, active-left+3)
		}
		p, err = w.e.PlanOne(ctx, N, uai)
		if err != nil {
			t.Fatal(err)
		}
		if sp := p.Steps[rollover.StepDirectory-1]; sp.Simulation != nil || sp.Get("mass_deactivation_hold") != 0 {
			t.Fatalf("plan of a step done still shows the guard: %+v", sp.Simulation)
		}
		w.read(func(tx *store.Tx) error {
			if v, _ := tx.Periods().GetSetting(ctx, uai, rollover.SimulationSetting, ""); v != "" {
				t.Fatalf("simulation kept after step 4: %s", v)
			}
			return nil
		})
	})
}

// TestDirectoryDryRun: the dry run of step 4 runs the importer's dry run on
// the given and the uploaded files: its figures per establishment are what
// the step then does, and it changes nothing, neither the database nor the
// files.
func TestDirectoryDryRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 2, 288)
		ctx := w.ctx
		w.changeoverUpTo(rollover.StepCleanup)
		clock.T = at(N, time.August, 17, 8)
		files := w.nextYearFiles(N)
		given, uploaded := w.uais[0], w.uais[1]
		w.upload(uploaded, files[uploaded])
		req := rollover.Request{Year: N, Step: rollover.StepDirectory, Files: map[sillage.UAI]string{given: files[given]}}

		dbBefore, filesBefore := dbDigest(t, st), filesDigest(t, w.blobDir)
		dry := req
		dry.DryRun = true
		res, err := w.e.Run(ctx, dry)
		if err != nil {
			t.Fatal(err)
		}
		if dbDigest(t, st) != dbBefore || filesDigest(t, w.blobDir) != filesBefore {
			t.Fatal("the dry run of step 4 changed the database or the files")
		}
		planned := map[sillage.UAI]*rollover.StepPlan{}
		for _, o := range res.Outcomes {
			if o.Status != rollover.OutcomePlanned || o.Plan.Simulation == nil || o.Plan.Simulation.Error != "" {
				t.Fatalf("%s: dry run %+v", o.UAI, o)
			}
			s := o.Plan.Simulation
			if s.Created != 3 || s.Deactivated == 0 || s.Updated == 0 || len(s.Divisions) == 0 || s.IndexIn == 0 {
				t.Fatalf("%s: simulation %+v", o.UAI, s)
			}
			// The world's engine confirms: the guard trips, it would not hold.
			if !s.Trips() || s.WouldHold() || o.Plan.Get("mass_deactivation_hold") != 0 {
				t.Fatalf("%s: guard %+v", o.UAI, s.Guards)
			}
			planned[o.UAI] = o.Plan
		}
		if f := planned[uploaded].Simulation.File; f != filepath.Base(files[uploaded]) || planned[uploaded].Simulation.SHA256 == "" {
			t.Fatalf("the uploaded file was not the one simulated: %q", f)
		}

		res = w.run(N, rollover.StepDirectory, func(r *rollover.Request) { *r = req; r.Actor = audit.Actor{Role: "operator", Name: "test"} })
		for _, o := range res.Outcomes {
			for _, k := range []string{"students_created", "students_updated", "students_deactivated", "divisions_created", "index_entries"} {
				if got, want := o.Report.Get(k), planned[o.UAI].Get(k); got != want {
					t.Errorf("%s: %s: %d done, %d simulated", o.UAI, k, got, want)
				}
			}
		}
	})
}

// TestInitFileDeletedAtImport: the uploaded initialisation file (every
// student's INE) is gone — row and blob — as soon as step 4 has imported
// it; a step 4 resumed after the import does not need it again; the
// transfer run is asked for once, for the establishments whose import
// created or deactivated students.
func TestInitFileDeletedAtImport(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		w := newWorld(t, st, clock, 2, 40)
		ctx := w.ctx
		hooks := &hookRecorder{}
		w.e.AfterImport = hooks.afterImport
		w.changeoverUpTo(rollover.StepCleanup)
		clock.T = at(N, time.August, 17, 8)
		files := w.nextYearFiles(N)
		sums := map[sillage.UAI]string{}
		var inputs []string
		for _, uai := range w.uais {
			w.upload(uai, files[uai]) // an earlier upload, replaced
			rewritten := w.rewrite(files[uai])
			sums[uai] = w.upload(uai, rewritten)
			if !w.blobs.Has(sums[uai]) {
				t.Fatal("uploaded file not stored")
			}
			inputs = append(inputs, files[uai], rewritten)
		}
		// While the files wait for step 4 (weeks), no INE rests in clear:
		// the uploads are sealed.
		ines := storetest.INEsIn(t, inputs...)
		storetest.NoINEAtRest(t, st, ines, w.blobDir, w.e.Importer.TempDir)
		// The same content kept by another row (a document) is not removed
		// with the initialisation file.
		shared := w.uais[1]
		w.write(func(tx *store.Tx) error {
			return tx.Records().AddDocument(ctx, shared, &sillage.Document{StudentID: w.fx[shared].student, Kind: sillage.DocumentFile, Name: "copie.xml",
				SHA256: sums[shared], Size: 1, ContentType: "application/xml", SchoolYear: N})
		})

		// The run fails right after the import: the file is already gone.
		fired := false
		w.e.Failpoint = func(p string) error {
			if p == "step4.import" && !fired {
				fired = true
				return errInjected
			}
			return nil
		}
		first := w.uais[0]
		if o := w.e.RunOne(ctx, rollover.Request{Year: N, Step: rollover.StepDirectory}, first); o.Status != rollover.OutcomeFailed || !fired {
			t.Fatalf("run with a failure after the import: %+v", o)
		}
		w.e.Failpoint = nil
		w.checkInitFileGone(first, sums[first], true)
		if got := hooks.got(); len(got) != 0 {
			t.Fatalf("transfer asked for before the step resumed: %v", got)
		}
		// Resumed without the file, then the other establishment.
		res := w.run(N, rollover.StepDirectory)
		for _, o := range res.Outcomes {
			if o.Report.Get("init_files_deleted") != 2 || !strings.Contains(strings.Join(o.Report.Details, "\n"), "Transfert des dossiers programmé") {
				t.Fatalf("%s: report %+v %q", o.UAI, o.Report.Counts, o.Report.Details)
			}
		}
		w.checkInitFileGone(first, sums[first], true)
		w.checkInitFileGone(shared, sums[shared], false)
		if got, want := hooks.got(), slices.Sorted(slices.Values(w.uais)); !slices.Equal(got, want) {
			t.Fatalf("transfer asked for %v, want once for %v", got, want)
		}
		// No INE of the files is left in the database, the blob store or
		// the importer's temporary folder.
		storetest.NoINEAtRest(t, st, ines, w.blobDir, w.e.Importer.TempDir)
		w.twice(N, rollover.StepDirectory)
	})
}

// rewrite copies a file under another name with a trailing comment, so
// that its content (and blob) differs from the original.
func (w *world) rewrite(path string) string {
	w.t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	p := strings.TrimSuffix(path, ".xml") + "_v2.xml"
	if err := os.WriteFile(p, append(data, []byte("\n<!-- v2 -->\n")...), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// checkInitFileGone checks uai has no initialisation file row left, and
// that the blob is gone (or kept, when another row refers to it).
func (w *world) checkInitFileGone(uai sillage.UAI, sum string, blobGone bool) {
	w.t.Helper()
	w.read(func(tx *store.Tx) error {
		files, err := tx.Rollover().ListRolloverFiles(w.ctx, uai, N)
		if len(files) != 0 {
			w.t.Fatalf("%s: %d initialisation file rows left", uai, len(files))
		}
		return err
	})
	if w.blobs.Has(sum) == blobGone {
		w.t.Fatalf("%s: blob present %v, want gone %v", uai, w.blobs.Has(sum), blobGone)
	}
}

// TestStepFourJobs: through the queue, the operator's confirmation travels
// with the job to the importer; an establishment not confirmed is held
// (the job cancelled, not retried) until a confirmed job runs it; the
// transfer run is asked for after each import.
func TestStepFourJobs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		w := newWorld(t, st, clock, 2, 288)
		w.e.ConfirmMassDeactivation = false
		hooks := &hookRecorder{}
		w.e.AfterImport = hooks.afterImport
		w.changeoverUpTo(rollover.StepCleanup)
		clock.T = at(N, time.August, 17, 8)
		files := w.nextYearFiles(N)
		sums := map[sillage.UAI]string{}
		for _, uai := range w.uais {
			sums[uai] = w.upload(uai, files[uai])
		}
		a, b := w.uais[0], w.uais[1]
		q, err := jobs.Open(ctx, jobs.Config{Store: st, PollInterval: 50 * time.Millisecond, Extensions: []jobs.Extension{rollover.Jobs(w.e)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		queued, _, err := rollover.Enqueue(ctx, st, q, N, rollover.StepDirectory, nil, "operateur", rollover.Confirmations{UAIs: []sillage.UAI{a}})
		if err != nil || len(queued) != 2 {
			t.Fatalf("enqueue: %v %v", queued, err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		w.waitStep(a, rollover.StepDirectory, sillage.StepDone)
		w.waitStep(b, rollover.StepDirectory, sillage.StepFailed)
		if s := w.stepState(b, rollover.StepDirectory); !strings.Contains(s.Error, "désactivation massive à confirmer") {
			t.Fatalf("held step's error: %q", s.Error)
		}
		w.checkInitFileGone(a, sums[a], true)
		if !w.blobs.Has(sums[b]) {
			t.Fatal("the held establishment's file was removed: the confirmed run needs it")
		}
		if got := hooks.got(); !slices.Equal(got, []sillage.UAI{a}) {
			t.Fatalf("transfer asked for %v", got)
		}
		// The held job is cancelled at once, not retried.
		deadline := time.Now().Add(30 * time.Second)
		for {
			list, err := q.List(ctx, 20)
			if err != nil {
				t.Fatal(err)
			}
			cancelled := 0
			for _, j := range list {
				if j.Kind == rollover.JobKind && j.State == "cancelled" {
					cancelled++
					if j.Attempt != 1 {
						t.Fatalf("held job attempted %d times", j.Attempt)
					}
				}
			}
			if cancelled == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("held job not cancelled: %+v", list)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The operator confirms for B.
		queued, _, err = rollover.Enqueue(ctx, st, q, N, rollover.StepDirectory, []sillage.UAI{b}, "operateur", rollover.Confirmations{UAIs: []sillage.UAI{b}})
		if err != nil || len(queued) != 1 {
			t.Fatalf("enqueue B: %v %v", queued, err)
		}
		w.waitStep(b, rollover.StepDirectory, sillage.StepDone)
		w.checkInitFileGone(b, sums[b], true)
		if got, want := hooks.got(), slices.Sorted(slices.Values(w.uais)); !slices.Equal(got, want) {
			t.Fatalf("transfer asked for %v", got)
		}
	})
}

func (w *world) waitStep(uai sillage.UAI, s rollover.Step, state string) {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if got := w.stepState(uai, s); got.State == state {
			return
		} else if time.Now().After(deadline) {
			w.t.Fatalf("%s: step %d %s (%s), want %s", uai, s, got.State, got.Error, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
