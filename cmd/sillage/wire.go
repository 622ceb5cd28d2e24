package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/sso"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/web"
)

// The wiring of Sillage, read top to bottom: every command, then what they
// open on demand (the store with its audit key, the INE key, the file
// store, the importer, the job queue, the changeover's engine), then all
// that `sillage serve` runs (server). Nothing registers itself.

// commands are every command of sillage, in the order of the help; each is
// built in its own file.
func (a *app) commands() []*cobra.Command {
	return []*cobra.Command{
		a.serveCmd(),
		a.migrateCmd(),
		a.configCmd(),
		a.demoCmd(),
		a.establishmentCmd(),
		a.userCmd(),
		a.auditCmd(),
		a.privacyCmd(),
		a.idKeyCmd(),
		a.secretsKeyCmd(),
		a.signKeyCmd(),
		a.federationCmd(),
		a.verifyCmd(),
		a.backupCmd(),
		a.restoreCmd(),
		a.exportCmd(),
		a.importCmd(),
		a.recordsCmd(),
		a.rolloverCmd(),
		a.transferCmd(),
		a.purgeCmd(),
		a.jobsCmd(),
	}
}

// open opens the store (applying migrations) once.
func (a *app) open(ctx context.Context) (*store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	st, err := store.Open(ctx, a.cfg.DSN(), store.Options{Clock: a.clock()})
	if err != nil {
		return nil, err
	}
	// The audit key is checked against the key registry before any entry
	// is sealed with it: a lost key file is restored, never replaced.
	key, err := a.auditKey(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetAuditKey(key)
	// Chains written before the audit key existed are sealed under it from
	// their current head, by one journal entry each (once).
	sealed, err := audit.SealChains(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.sealed = sealed
	a.st = st
	return st, nil
}

// auditKey loads the key that seals the audit chains, checked against the
// key registry: created on first use for the embedded default (beside the
// INE key) while the database knows none, required otherwise.
func (a *app) auditKey(ctx context.Context, st *store.Store) (*audit.Key, error) {
	kr, err := keyreg.LoadKey(ctx, st, keyreg.AuditKey, a.cfg.AuditKeyFile, audit.KeyFileHeader, a.cfg.DefaultAuditKeyCreate)
	if err != nil {
		return nil, fmt.Errorf("clé du journal d'audit : %w", err)
	}
	return audit.NewKey(kr), nil
}

// signer loads the checkpoint signing key, like auditKey.
func (a *app) signer(ctx context.Context) (*audit.Signer, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := keyreg.LoadKey(ctx, st, keyreg.AuditSigningKey, a.cfg.AuditSigningKeyFile, audit.SigningKeyFileHeader, a.cfg.DefaultAuditSigningKeyCreate)
	if err != nil {
		return nil, fmt.Errorf("clé de signature des points de contrôle : %w", err)
	}
	return audit.NewSigner(kr), nil
}

// keyring loads the INE hashing key, checked against the versions the
// database knows (internal/keyreg): created on first use only for an empty
// instance with the embedded default, required otherwise.
func (a *app) keyring(ctx context.Context) (ident.Keyring, error) {
	st, err := a.open(ctx)
	if err != nil {
		return ident.Keyring{}, err
	}
	return keyreg.LoadIDKey(ctx, st, a.cfg.IDKeyFile, a.cfg.DefaultIDKeyCreate)
}

// singleSignOn builds the identity providers of SILLAGE_SSO_FILE (nil when
// unset: passwords only). Students and parents signing in through
// ÉduConnect are matched on the INE key, loaded when first needed.
func (a *app) singleSignOn(st *store.Store) (*sso.Service, error) {
	if a.cfg.SSOFile == "" {
		return nil, nil
	}
	providers, err := sso.LoadFile(a.cfg.SSOFile)
	if err != nil {
		return nil, err
	}
	return sso.New(sso.Options{Providers: providers, Store: st, Clock: a.clock(), Logger: a.log, BaseURL: a.cfg.BaseURL,
		Sessions: &auth.Sessions{Store: st, Clock: a.clock(), Idle: a.cfg.SessionIdle}, Keyring: a.keyring})
}

// checkKeys refuses to go on when the database knows key versions the key
// files lack (serve, transfer): see internal/keyreg.
func (a *app) checkKeys(ctx context.Context, st *store.Store) error {
	return keyreg.CheckIDKey(ctx, st, a.cfg.IDKeyFile)
}

// files opens the blob store once.
func (a *app) files() (blob.Store, error) {
	if a.blobs != nil {
		return a.blobs, nil
	}
	b, err := a.openBlobs(a.cfg.MaxUpload)
	if err != nil {
		return nil, err
	}
	a.blobs = b
	return b, nil
}

// openBlobs opens the file store the configuration names, with this limit
// per file: the bucket of an object store (SILLAGE_BLOB_S3_*), which
// several servers share, or the data directory's files/ folder.
func (a *app) openBlobs(maxSize int64) (blob.Store, error) {
	if !a.cfg.BlobS3() {
		return blob.Open(a.cfg.BlobDir(), maxSize)
	}
	c := a.cfg
	return blob.OpenS3(context.Background(), blob.S3Config{Endpoint: c.BlobS3Endpoint, Bucket: c.BlobS3Bucket,
		AccessKey: c.BlobS3AccessKey, SecretKey: c.BlobS3SecretKey, Region: c.BlobS3Region, TLS: c.BlobS3TLS, Prefix: c.BlobS3Prefix},
		filepath.Join(c.BlobDir(), "tmp"), maxSize)
}

// importer opens what an import needs: the store and the INE key.
func (a *app) importer(ctx context.Context) (*directory.Importer, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	kr, err := a.keyring(ctx)
	if err != nil {
		return nil, err
	}
	// The transfer run that follows an import creating or deactivating
	// students is queued in the import's own transaction.
	q, err := a.jobQueue(ctx)
	if err != nil {
		return nil, err
	}
	fed, err := a.federationKey(ctx, st)
	if err != nil {
		return nil, err
	}
	im := a.newImporter(st, kr, fed)
	im.QueueTransfer = q.ImportHook()
	return im, nil
}

// federationKey loads the federation key (zero: federation off), checked
// against the key registry; never created (docs/federation.md).
func (a *app) federationKey(ctx context.Context, st *store.Store) (ident.Keyring, error) {
	return keyreg.LoadFederationKey(ctx, st, a.cfg.FederationKeyFile)
}

// signingKey loads the instance's signing identity, checked against the
// key registry: created on first use for the embedded default while the
// database knows none, required otherwise.
func (a *app) signingKey(ctx context.Context) (*signing.Signer, error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	return keyreg.LoadSigningKey(ctx, st, a.cfg.SigningKeyFile, a.cfg.DefaultSigningKeyCreate)
}

// federationNode is this instance in the federation's protocol
// (docs/federation.md, « Protocole »): nil when it is in no federation (no
// federation key) or cannot sign (no signing key: said in the log).
func (a *app) federationNode(ctx context.Context, st *store.Store, files blob.Store, fed ident.Keyring) *federation.Node {
	if len(fed.Versions()) == 0 {
		return nil
	}
	s, err := a.signingKey(ctx)
	if err != nil {
		a.log.Warn("federation: no signing key, the protocol is off", "err", err)
		return nil
	}
	// Refused messages that anyone could send: 30 audited per address and
	// quarter of an hour, counted in the database for every server.
	refusals := &auth.Window{Clock: st.Clock(), Store: st, Name: "federation", Max: 30, Period: 15 * time.Minute}
	return &federation.Node{Store: st, Signer: s, Peers: federation.StorePeers{Store: st, Describe: federation.DescribedPeer},
		Hashes: federation.StoreHashes{}, Blobs: files, Limits: records.DefaultLimits(a.cfg.MaxUpload), Retention: a.cfg.Retention, Logger: a.log,
		Refusals: refusals}
}

// newImporter is the directory's importer over st with the INE key kr and
// the federation key fed; its QueueTransfer is set by who opened the job
// queue.
func (a *app) newImporter(st *store.Store, kr, fed ident.Keyring) *directory.Importer {
	return &directory.Importer{Store: st, Keyring: kr, Federation: fed, MassDeactivation: a.cfg.MassDeactivation, MaxExpanded: a.cfg.MaxImport, Log: a.log}
}

// jobQueue opens the job queue once, to enqueue only (the server's
// workers run the jobs): the commands queue the jobs that follow their
// changes in the changes' own transactions. It knows the changeover's
// jobs, to enqueue and list them, with no engine: it never runs them.
func (a *app) jobQueue(ctx context.Context) (*jobs.Queue, error) {
	if a.jq != nil {
		return a.jq, nil
	}
	st, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	// The queue's own news (River's migrations) would bury the command's
	// answer: only its warnings are shown.
	q, err := jobs.Open(ctx, jobs.Config{Store: st, Logger: slog.New(warnOnly{a.log.Handler()}),
		Extensions: []jobs.Extension{rollover.Jobs(nil)}})
	if err != nil {
		return nil, err
	}
	a.jq = q
	return q, nil
}

// warnOnly passes on the records of level warning and above.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnOnly{h.Handler.WithAttrs(attrs)}
}
func (h warnOnly) WithGroup(name string) slog.Handler { return warnOnly{h.Handler.WithGroup(name)} }

// collectTx queues the collection of unreferenced files inside a change's
// transaction (transfer.Options.AfterChangeTx).
func (a *app) collectTx(q *jobs.Queue) func(ctx context.Context, tx *store.Tx) error {
	return func(ctx context.Context, tx *store.Tx) error {
		_, err := q.EnqueueCollectTx(ctx, tx, jobs.TriggerCLI)
		return err
	}
}

// archiveLimit bounds one archive in the file store: the upload limit does
// not apply to what the changeover writes.
const archiveLimit = 1 << 40

// archives opens the file store the changeover writes its archives to.
func (a *app) archives() (blob.Store, error) { return a.openBlobs(archiveLimit) }

// rolloverEngine builds the changeover's engine, the one way, for the
// server's workers and for the command line: over the store and the file
// store of the archives (nil for the commands that only guard, enqueue or
// undo), with the secrets key that opens the uploaded initialisation files
// and step 4's importer when given (nil: step 4 says which it lacks).
func (a *app) rolloverEngine(st *store.Store, archives blob.Store, box *sealbox.Box, im *directory.Importer) *rollover.Engine {
	return &rollover.Engine{Store: st, Blobs: archives, Retention: a.cfg.Retention, Log: a.log, Box: box, Importer: im}
}

// server builds what `sillage serve` runs, in the order it starts: the
// store, the INE key's check, the file store, the secrets key, the
// changeover's engine (one for the step jobs and the changeover pages), the
// access blocking, the job queue with its workers (transfer runs, purge,
// collection, expiry, the changeover's steps), the web server, and the
// changeover's messages due, every ten minutes. stop stops what runs
// beside the web server.
func (a *app) server(ctx context.Context) (srv *web.Server, stop func(), err error) {
	st, err := a.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := a.checkKeys(ctx, st); err != nil {
		return nil, nil, err
	}
	files, err := a.files()
	if err != nil {
		return nil, nil, err
	}
	h, m, err := a.cfg.SweepTime()
	if err != nil {
		return nil, nil, err
	}
	box, err := keyreg.LoadSecretsBox(ctx, st, a.cfg.SecretsKeyFile)
	if err != nil {
		return nil, nil, err
	}
	archives, err := a.archives()
	if err != nil {
		return nil, nil, err
	}
	// Step 4 fails, saying why, until the INE key is configured; the rest
	// of the server runs without it.
	var im *directory.Importer
	kr, err := a.keyring(ctx)
	var fed ident.Keyring
	if err == nil {
		fed, err = a.federationKey(ctx, st)
	}
	if err == nil {
		im = a.newImporter(st, kr, fed)
	} else {
		a.log.Warn("rollover: no INE key, step 4 will fail until it is configured", "err", err)
	}
	e := a.rolloverEngine(st, archives, box, im)
	blocker := rollover.NewBlocker(st)
	e.OnChange = blocker.Invalidate
	node := a.federationNode(ctx, st, files, fed)
	q, err := jobs.Open(ctx, jobs.Config{Store: st, Blobs: files, Box: box, Retention: a.cfg.Retention, SweepHour: h, SweepMinute: m,
		PurgeWeekday: a.cfg.PurgeWeekday, Workers: a.cfg.JobWorkers, Logger: a.log,
		CredentialListDays: a.cfg.CredentialListDays, Extensions: []jobs.Extension{rollover.Jobs(e)}, Federation: node})
	if err != nil {
		archives.Close()
		return nil, nil, err
	}
	// Step 4's import is followed by the transfer run, steps 1 and 3 by the
	// collection of the files nobody refers to any more: both queued in the
	// transactions of the changes, on the queue that runs the steps.
	e.CollectTx = func(ctx context.Context, tx *store.Tx) error {
		_, err := q.EnqueueCollectTx(ctx, tx, "after")
		return err
	}
	if im != nil {
		im.QueueTransfer = q.ImportHook()
	}
	if err := q.Start(ctx); err != nil {
		q.Close()
		archives.Close()
		return nil, nil, err
	}
	signOn, err := a.singleSignOn(st)
	if err != nil {
		q.Close()
		archives.Close()
		return nil, nil, err
	}
	var fedHandler http.Handler
	if node != nil {
		fedHandler = node.Handler()
	}
	srv, err = web.NewServer(web.Deps{Config: &a.cfg, Store: st, Blobs: files, Clock: a.clock(), Logger: a.log, Rollover: e,
		Hooks: web.Hooks{QueueTransfer: q.ImportHook(), Jobs: q, AccessBlocked: blocker.Blocked, BlockingChanged: blocker.Invalidate},
		SSO:   signOn, Federation: fedHandler})
	if err != nil {
		q.Close()
		archives.Close()
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			if rep, err := rollover.SendDueNotices(ctx, st); err != nil {
				a.log.Warn("rollover notices", "err", err)
			} else if n := rep.Sent[rollover.NoticeTrash] + rep.Sent[rollover.NoticeGroupWarning] + rep.Sent[rollover.NoticeGroupReminder]; n > 0 {
				a.log.Info("rollover notices sent", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return srv, func() {
		q.Close()
		cancel()
		<-done
		archives.Close()
	}, nil
}

func (a *app) close() {
	if a.jq != nil {
		a.jq.Close()
	}
	if a.st != nil {
		a.st.Close()
	}
	if a.blobs != nil {
		a.blobs.Close()
	}
}
