// Package jobs runs Sillage's durable background work on River, on both
// databases: the transfer run (right after an import that creates or
// deactivates students, every day at the configured time, and on demand),
// the weekly purge, the collection of unreferenced files that follows
// them, and the hourly expiry of the files holding secrets or INEs
// (credential lists, held imports).
//
// River keeps its tables in the same database (and, on PostgreSQL, the same
// schema) as Sillage's, migrated at start with rivermigrate. On PostgreSQL
// River drives a pgx pool built from the same URL (riverpgxv5); on SQLite
// it shares the store's single writer connection (riversqlite over
// database/sql, polling instead of LISTEN/NOTIFY), so its writes queue
// behind Sillage's like any other.
//
// A job that was running when its process died stays "running" until
// River's rescuer (RescueAfter) gives it back to the queue; the work itself
// is idempotent (transfer.md 5), so running it again is safe. The daily
// sweep is unique per day and the weekly purge per week: enqueued twice
// (two servers, a restart at the hour), they run once.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// Kinds of jobs.
const (
	KindTransfer = "transfer_run"
	KindPurge    = "purge_run"
	KindCollect  = "blob_collect"
	KindExpire   = "expire_run"
)

// Triggers of a transfer run.
const (
	TriggerImport   = "import"
	TriggerSweep    = "sweep"
	TriggerOperator = "operator"
	TriggerCLI      = "cli"
	// TriggerEstablishment: an establishment's director or administrator
	// asked for a pass from the transfer dashboard.
	TriggerEstablishment = "establishment"
	// TriggerSettings: an establishment changed its transfer setting, so
	// the reasons shown on both sides of its pending transfers change.
	TriggerSettings = "settings"
)

// TransferArgs are a transfer run's arguments. Day makes the daily sweep
// unique per day; the other triggers are not unique (each import wants its
// run; runs are idempotent).
type TransferArgs struct {
	Trigger string   `json:"trigger"`
	Day     string   `json:"day,omitempty" river:"unique"`
	UAIs    []string `json:"uais,omitempty"`
}

// Kind is River's job kind.
func (TransferArgs) Kind() string { return KindTransfer }

// PurgeArgs are a purge's arguments; Week makes the weekly one unique.
type PurgeArgs struct {
	Trigger string `json:"trigger"`
	Week    string `json:"week,omitempty" river:"unique"`
}

// Kind is River's job kind.
func (PurgeArgs) Kind() string { return KindPurge }

// CollectArgs are the blob collector's arguments.
type CollectArgs struct {
	Trigger string `json:"trigger"`
}

// Kind is River's job kind.
func (CollectArgs) Kind() string { return KindCollect }

// ExpireArgs are the hourly expiry's arguments; Hour makes it unique.
type ExpireArgs struct {
	Trigger string `json:"trigger"`
	Hour    string `json:"hour,omitempty" river:"unique"`
}

// Kind is River's job kind.
func (ExpireArgs) Kind() string { return KindExpire }

// Config is what the queue needs.
type Config struct {
	Store     *store.Store
	Blobs     blob.Store // nil: no collection
	Retention sillage.Retention
	// SweepHour, SweepMinute: the daily sweep (local time).
	SweepHour, SweepMinute int
	// PurgeWeekday: the weekly purge, at PurgeHour:00 local time.
	PurgeWeekday time.Weekday
	PurgeHour    int
	Workers      int
	// CollectGrace protects files younger than this from the collector
	// (a file whose row is not committed yet). Default 24 hours.
	CollectGrace time.Duration
	// RescueAfter: a job still "running" after this long is considered
	// crashed and runs again. Default 45 minutes (jobs time out at 30).
	RescueAfter time.Duration
	// JobTimeout bounds one run. Default 30 minutes.
	JobTimeout time.Duration
	// PollInterval: how often a worker looks for new jobs on SQLite
	// (PostgreSQL is notified at once). Default 1 second.
	PollInterval time.Duration
	Logger       *slog.Logger
	// Box seals the files written in clear before Sillage sealed them
	// (credential lists, initialisation files), every hour (nil: none).
	Box *sealbox.Box
	// CredentialListDays: the credential lists older than this are
	// deleted every hour (default accounts.DefaultCredentialListDays).
	CredentialListDays int
	// Failpoint is passed to the runs (tests only).
	Failpoint func(step string) error
	// Federation, when set, asks the peer instances for the records of
	// the new students no establishment of this instance sends, after
	// every transfer run (docs/federation.md, « Protocole »).
	Federation *federation.Node
	// Extensions are the other capabilities' jobs run by this queue's
	// workers (and enqueued through it: River refuses a kind it has no
	// worker for).
	Extensions []Extension
}

func (c *Config) defaults() {
	if c.Workers < 1 {
		c.Workers = 2
	}
	if c.CollectGrace <= 0 {
		c.CollectGrace = 24 * time.Hour
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 30 * time.Minute
	}
	if c.RescueAfter <= c.JobTimeout {
		c.RescueAfter = c.JobTimeout + 15*time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.PurgeHour == 0 {
		c.PurgeHour = 3
	}
	if c.Retention == (sillage.Retention{}) {
		c.Retention = sillage.DefaultRetention()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Job is a job as the operator page lists it.
type Job struct {
	ID          int64
	Kind        string
	Trigger     string
	State       string
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	ScheduledAt time.Time
	AttemptedAt time.Time
	FinalizedAt time.Time
	Errors      []string
	Output      string
	// extLabel is the label of an extension's kind (Config.Extensions).
	extLabel string
}

// KindLabel is the French name of the job.
func (j Job) KindLabel() string {
	switch j.Kind {
	case KindTransfer:
		return "Transfert des dossiers"
	case KindPurge:
		return "Purge des élèves partis"
	case KindCollect:
		return "Nettoyage des fichiers"
	case KindExpire:
		return "Expiration des fichiers sensibles"
	}
	if j.extLabel != "" {
		return j.extLabel
	}
	return j.Kind
}

// TriggerLabel is the French name of what started the job.
func (j Job) TriggerLabel() string {
	switch j.Trigger {
	case TriggerImport:
		return "après un import"
	case TriggerSweep:
		return "passage quotidien"
	case TriggerOperator:
		return "à la demande (opérateur)"
	case TriggerCLI:
		return "à la demande (ligne de commande)"
	case TriggerEstablishment:
		return "à la demande (établissement)"
	case TriggerSettings:
		return "après un changement des paramètres du transfert"
	case "weekly":
		return "passage hebdomadaire"
	case "after":
		return "après un transfert ou une purge"
	case "hourly":
		return "passage horaire"
	}
	return j.Trigger
}

// StateLabel is the French name of the job's state.
func (j Job) StateLabel() string {
	switch rivertype.JobState(j.State) {
	case rivertype.JobStateAvailable:
		return "en attente"
	case rivertype.JobStateScheduled:
		return "programmée"
	case rivertype.JobStateRunning:
		return "en cours"
	case rivertype.JobStateRetryable:
		return "à réessayer"
	case rivertype.JobStateCompleted:
		return "terminée"
	case rivertype.JobStateDiscarded:
		return "abandonnée"
	case rivertype.JobStateCancelled:
		return "annulée"
	case rivertype.JobStatePending:
		return "suspendue"
	}
	return j.State
}

// client is what differs between the two drivers (River's client is
// generic over the transaction type).
type client interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Queue is Sillage's job queue.
type Queue struct {
	cfg    Config
	client client
	// insertTx inserts a job inside a store transaction (River's InsertTx
	// on the driver's view of it).
	insertTx func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	closers  []func()
	started  bool
	// legacySealed: this process has sealed the files older versions
	// wrote in clear; this version never writes such files, so the
	// hourly expiry need not look again.
	legacySealed atomic.Bool
}

// Open migrates River's tables and builds the queue, with its workers and
// periodic jobs; Start runs them. A queue that is never started can still
// enqueue (the command line does that: the server's workers run the jobs).
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	cfg.defaults()
	q := &Queue{cfg: cfg}
	workers := river.NewWorkers()
	river.AddWorker(workers, &transferWorker{q: q})
	river.AddWorker(workers, &purgeWorker{q: q})
	river.AddWorker(workers, &collectWorker{q: q})
	river.AddWorker(workers, &expireWorker{q: q})
	for _, e := range cfg.Extensions {
		e.Add(workers)
	}
	rc := &river.Config{
		Logger:                      cfg.Logger,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:                     workers,
		PeriodicJobs:                q.periodic(),
		RescueStuckJobsAfter:        cfg.RescueAfter,
		JobTimeout:                  cfg.JobTimeout,
		CompletedJobRetentionPeriod: 8 * 24 * time.Hour,
		MaxAttempts:                 10,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(100*time.Millisecond, cfg.PollInterval),
	}
	var err error
	switch cfg.Store.Kind() {
	case store.Postgres:
		err = q.openPostgres(ctx, rc)
	default:
		err = q.openSQLite(ctx, rc)
	}
	if err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

func (q *Queue) openPostgres(ctx context.Context, rc *river.Config) error {
	pool, err := pgxpool.New(ctx, q.cfg.Store.DSN().URL)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "file des tâches : connexion à PostgreSQL")
	}
	q.closers = append(q.closers, pool.Close)
	driver := riverpgxv5.New(pool)
	// Two processes starting at once: one migrates, the other waits.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "file des tâches : connexion à PostgreSQL")
	}
	defer conn.Release()
	const lockKey = 7_306_210_011 // "sillage river migrate"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockKey)); err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "file des tâches : verrou de migration")
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", int64(lockKey))
	if err := migrate(ctx, driver, q.cfg.Logger); err != nil {
		return err
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return fmt.Errorf("file des tâches : %w", err)
	}
	q.client = c
	q.insertTx = func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (res *rivertype.JobInsertResult, err error) {
		err = tx.Driver(ctx, func(d store.DriverTx) (err error) { res, err = c.InsertTx(ctx, d.Pgx, args, opts); return err })
		return res, err
	}
	return nil
}

func (q *Queue) openSQLite(ctx context.Context, rc *river.Config) error {
	driver := riversqlite.New(q.cfg.Store.SQLDB())
	// Another process may hold the write lock past the busy timeout: the
	// migration (applied or not, as a whole) is tried again.
	if err := store.Retry(ctx, func() error { return migrate(ctx, driver, q.cfg.Logger) }); err != nil {
		return err
	}
	rc.PollOnly = true
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return fmt.Errorf("file des tâches : %w", err)
	}
	q.client = c
	q.insertTx = func(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (res *rivertype.JobInsertResult, err error) {
		err = tx.Driver(ctx, func(d store.DriverTx) (err error) { res, err = c.InsertTx(ctx, d.SQL, args, opts); return err })
		return res, err
	}
	return nil
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("file des tâches : %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "file des tâches : migration des tables de River")
	}
	return nil
}

// Start runs the workers and the periodic jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("file des tâches : démarrage : %w", err)
	}
	q.started = true
	return nil
}

// Stop waits for the running jobs (until ctx ends) and stops the workers.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	q.started = false
	return q.client.Stop(ctx)
}

// Close stops the workers and releases the connections.
func (q *Queue) Close() {
	if q.client != nil && q.started {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = q.Stop(ctx)
		cancel()
	}
	for i := len(q.closers) - 1; i >= 0; i-- {
		q.closers[i]()
	}
	q.closers = nil
}

// EnqueueTransfer asks for a transfer run now.
func (q *Queue) EnqueueTransfer(ctx context.Context, trigger string, uais []sillage.UAI) (int64, error) {
	args := TransferArgs{Trigger: trigger}
	for _, u := range uais {
		args.UAIs = append(args.UAIs, string(u))
	}
	return q.insert(ctx, args, nil)
}

// EnqueueSweep enqueues the daily sweep of day (local date): once per day,
// however many times it is asked for.
func (q *Queue) EnqueueSweep(ctx context.Context, day time.Time) (int64, error) {
	args, opts := sweepArgs(day)
	return q.insert(ctx, args, opts)
}

// EnqueuePurge asks for a purge now.
func (q *Queue) EnqueuePurge(ctx context.Context, trigger string) (int64, error) {
	return q.insert(ctx, PurgeArgs{Trigger: trigger}, nil)
}

// EnqueueWeeklyPurge enqueues the weekly purge of the week of day: once
// per ISO week.
func (q *Queue) EnqueueWeeklyPurge(ctx context.Context, day time.Time) (int64, error) {
	args, opts := weeklyPurgeArgs(day)
	return q.insert(ctx, args, opts)
}

// EnqueueCollect asks for a collection of unreferenced files; requests
// within ten minutes of each other make one job.
func (q *Queue) EnqueueCollect(ctx context.Context, trigger string) (int64, error) {
	return q.insert(ctx, CollectArgs{Trigger: trigger}, collectOpts())
}

// insert enqueues a job in a transaction of its own. A database busy
// (SQLite's write lock held by another process past its timeout) or
// unreachable is waited for with back-off: an insert that failed so did
// not happen, so trying again is safe.
func (q *Queue) insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	var res *rivertype.JobInsertResult
	err := store.Retry(ctx, func() (err error) {
		res, err = q.client.Insert(ctx, args, opts)
		return err
	})
	if err != nil {
		return 0, sillage.Wrap(sillage.KindUnavailable, err, "impossible d'ajouter la tâche à la file")
	}
	return res.Job.ID, nil
}

// InsertTx enqueues a job inside tx: the job exists once tx commits, and
// not at all if it rolls back. Every job that follows a committed change
// is queued this way, so that no crash between the change and the job
// can lose it.
func (q *Queue) InsertTx(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := q.insertTx(ctx, tx, args, opts)
	if err != nil {
		return 0, sillage.Wrap(sillage.KindUnavailable, err, "impossible d'ajouter la tâche à la file")
	}
	return res.Job.ID, nil
}

// EnqueueTransferTx queues a transfer run inside tx (the import that
// created or deactivated students).
func (q *Queue) EnqueueTransferTx(ctx context.Context, tx *store.Tx, trigger string, uais []sillage.UAI) (int64, error) {
	args := TransferArgs{Trigger: trigger}
	for _, u := range uais {
		args.UAIs = append(args.UAIs, string(u))
	}
	return q.InsertTx(ctx, tx, args, nil)
}

// EnqueueCollectTx queues the collection of unreferenced files inside tx
// (the change that left files without rows); requests within ten minutes
// of each other make one job.
func (q *Queue) EnqueueCollectTx(ctx context.Context, tx *store.Tx, trigger string) (int64, error) {
	return q.InsertTx(ctx, tx, CollectArgs{Trigger: trigger}, collectOpts())
}

// ImportHook is the importers' QueueTransfer: the transfer run queued in
// the import's own transaction.
func (q *Queue) ImportHook() func(ctx context.Context, tx *store.Tx, uai sillage.UAI) error {
	return func(ctx context.Context, tx *store.Tx, uai sillage.UAI) error {
		_, err := q.EnqueueTransferTx(ctx, tx, TriggerImport, []sillage.UAI{uai})
		return err
	}
}

func collectOpts() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 10 * time.Minute}}
}

func sweepArgs(day time.Time) (TransferArgs, *river.InsertOpts) {
	return TransferArgs{Trigger: TriggerSweep, Day: day.In(sillage.SchoolZone).Format("2006-01-02")},
		&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func weeklyPurgeArgs(day time.Time) (PurgeArgs, *river.InsertOpts) {
	y, w := day.In(sillage.SchoolZone).ISOWeek()
	return PurgeArgs{Trigger: "weekly", Week: fmt.Sprintf("%d-W%02d", y, w)}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// List returns the latest jobs, newest first.
func (q *Queue) List(ctx context.Context, limit int) ([]Job, error) {
	res, err := q.client.JobList(ctx, river.NewJobListParams().First(max(limit, 1)).OrderBy(river.JobListOrderByID, river.SortOrderDesc).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRunning, rivertype.JobStateRetryable,
			rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStatePending))
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, "lecture de la file des tâches")
	}
	out := make([]Job, 0, len(res.Jobs))
	for _, r := range res.Jobs {
		j := Job{ID: r.ID, Kind: r.Kind, State: string(r.State), Attempt: r.Attempt, MaxAttempts: r.MaxAttempts, CreatedAt: r.CreatedAt,
			ScheduledAt: r.ScheduledAt, Trigger: triggerOf(r.EncodedArgs), extLabel: q.extensionLabel(r.Kind)}
		if r.AttemptedAt != nil {
			j.AttemptedAt = *r.AttemptedAt
		}
		if r.FinalizedAt != nil {
			j.FinalizedAt = *r.FinalizedAt
		}
		for _, e := range r.Errors {
			j.Errors = append(j.Errors, e.Error)
		}
		if o := r.Output(); len(o) > 0 {
			j.Output = strings.Trim(string(o), `"`)
		}
		out = append(out, j)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].ID > out[k].ID })
	return out, nil
}

// triggerOf reads the trigger out of a job's encoded arguments.
func triggerOf(args []byte) string {
	var a struct {
		Trigger string `json:"trigger"`
	}
	_ = json.Unmarshal(args, &a)
	return a.Trigger
}

// errNoBlobs is returned by the collector without a file store.
var errNoBlobs = errors.New("pas de magasin de fichiers")
