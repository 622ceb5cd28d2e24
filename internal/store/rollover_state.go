package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// The end-of-year changeover's own state (rollover.md): the calendar the
// operator sets per school year, each establishment's steps with their
// checkpoints, and the messages already sent. internal/rollover gives them
// their meaning; the store only keeps them.

// GetRolloverCalendar returns the calendar of year; not found when unset.
func (tx Rollover) GetRolloverCalendar(ctx context.Context, year sillage.SchoolYear) (sillage.RolloverCalendar, error) {
	c := sillage.RolloverCalendar{SchoolYear: year}
	err := tx.queryRow(ctx, `SELECT calendar, updated_at, updated_by FROM rollover_calendars WHERE school_year = $1`, year).
		Scan(&c.Calendar, ts{&c.UpdatedAt}, &c.UpdatedBy)
	if err == sql.ErrNoRows {
		return c, sillage.Errorf(sillage.KindNotFound, "aucun calendrier de changement d'année pour %s", year)
	}
	return c, mapErr(err)
}

// SetRolloverCalendar stores the calendar of year (the operator's).
func (tx Rollover) SetRolloverCalendar(ctx context.Context, year sillage.SchoolYear, calendar, by string) error {
	_, err := tx.exec(ctx, `INSERT INTO rollover_calendars (school_year, calendar, updated_at, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (school_year) DO UPDATE SET calendar = excluded.calendar, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		year, calendar, tx.now, by)
	return err
}

const rolloverStepCols = `uai, school_year, step, state, attempts, queued_at, started_at, finished_at, lease_until,
	progress_done, progress_total, error, report, actor, heartbeat_at, lease_owner`

func scanRolloverStep(r scanner) (sillage.RolloverStep, error) {
	var s sillage.RolloverStep
	var u string
	var y int64
	err := r.Scan(&u, &y, &s.Step, &s.State, &s.Attempts, ts{&s.QueuedAt}, ts{&s.StartedAt}, ts{&s.FinishedAt}, ts{&s.LeaseUntil},
		&s.ProgressDone, &s.ProgressTotal, &s.Error, &s.Report, &s.Actor, ts{&s.HeartbeatAt}, &s.LeaseOwner)
	s.UAI, s.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
	return s, err
}

// GetRolloverStep returns a step of an establishment; not found for a
// step never run.
func (tx Rollover) GetRolloverStep(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int) (sillage.RolloverStep, error) {
	s, err := scanRolloverStep(tx.queryRow(ctx, `SELECT `+rolloverStepCols+` FROM rollover_steps WHERE uai = $1 AND school_year = $2 AND step = $3`,
		uai, year, step))
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "étape jamais lancée")
	}
	return s, mapErr(err)
}

// ListRolloverStepsOf returns the steps of one establishment for year.
func (tx Rollover) ListRolloverStepsOf(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) ([]sillage.RolloverStep, error) {
	return collect(ctx, tx.txn, `SELECT `+rolloverStepCols+` FROM rollover_steps WHERE uai = $1 AND school_year = $2 ORDER BY step`,
		[]any{uai, year}, func(r *sql.Rows) (sillage.RolloverStep, error) { return scanRolloverStep(r) })
}

// ListRolloverSteps returns the steps of every establishment for year: the
// operator's page (states and counts, never a record's content).
func (tx Rollover) ListRolloverSteps(ctx context.Context, year sillage.SchoolYear) ([]sillage.RolloverStep, error) {
	return collect(ctx, tx.txn, `SELECT `+rolloverStepCols+` FROM rollover_steps WHERE school_year = $1 ORDER BY uai, step`,
		[]any{year}, func(r *sql.Rows) (sillage.RolloverStep, error) { return scanRolloverStep(r) })
}

// SetRolloverStepQueued marks a step as asked for (not when it is running
// or done): a worker will run it. It reports whether the step was queued.
func (tx Rollover) SetRolloverStepQueued(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, actor string) (bool, error) {
	n, err := tx.execN(ctx, `INSERT INTO rollover_steps (uai, school_year, step, state, queued_at, actor) VALUES ($1, $2, $3, 'queued', $4, $5)
		ON CONFLICT (uai, school_year, step) DO UPDATE SET state = 'queued', queued_at = excluded.queued_at, actor = excluded.actor, error = ''
		WHERE rollover_steps.state IN ('failed', '')`, uai, year, step, tx.now, actor)
	return n > 0, err
}

// UpdateRolloverStepClaim takes a step for a run until lease, for the
// process owner: it succeeds when the step is not done and nobody holds a
// live lease on it. It reports whether the claim was taken.
func (tx Rollover) UpdateRolloverStepClaim(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, lease time.Time, actor, owner string) (bool, error) {
	if _, err := tx.exec(ctx, `INSERT INTO rollover_steps (uai, school_year, step, state, actor) VALUES ($1, $2, $3, '', $4)
		ON CONFLICT (uai, school_year, step) DO NOTHING`, uai, year, step, actor); err != nil {
		return false, err
	}
	n, err := tx.execN(ctx, `UPDATE rollover_steps SET state = 'running', attempts = attempts + 1, lease_until = $4, error = '',
		started_at = COALESCE(started_at, $5), actor = CASE WHEN actor = '' THEN $6 ELSE actor END, heartbeat_at = $5, lease_owner = $7
		WHERE uai = $1 AND school_year = $2 AND step = $3 AND state <> 'done' AND (state <> 'running' OR lease_until IS NULL OR lease_until < $5)`,
		uai, year, step, lease, tx.now, actor, owner)
	return n > 0, err
}

// UpdateRolloverStepHeartbeat renews the lease of a running step held by
// owner until lease. It reports false when owner no longer holds it
// (another process took it over, or the operator relaunched it).
func (tx Rollover) UpdateRolloverStepHeartbeat(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, lease time.Time, owner string) (bool, error) {
	n, err := tx.execN(ctx, `UPDATE rollover_steps SET lease_until = $4, heartbeat_at = $5
		WHERE uai = $1 AND school_year = $2 AND step = $3 AND state = 'running' AND lease_owner = $6`, uai, year, step, lease, tx.now, owner)
	return n > 0, err
}

// SetRolloverStepRelaunched gives a stuck step (running under an expired
// lease) back to the queue: it becomes "queued" for actor. It reports
// whether the step was stuck.
func (tx Rollover) SetRolloverStepRelaunched(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, actor string) (bool, error) {
	n, err := tx.execN(ctx, `UPDATE rollover_steps SET state = 'queued', queued_at = $4, actor = $5, lease_until = NULL, lease_owner = '', error = ''
		WHERE uai = $1 AND school_year = $2 AND step = $3 AND state = 'running' AND lease_until < $4`, uai, year, step, tx.now, actor)
	return n > 0, err
}

// UpdateRolloverStepProgress records a running step's progress and extends its lease.
func (tx Rollover) UpdateRolloverStepProgress(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, done, total int, lease time.Time) error {
	_, err := tx.exec(ctx, `UPDATE rollover_steps SET progress_done = $4, progress_total = $5, lease_until = $6, heartbeat_at = $7
		WHERE uai = $1 AND school_year = $2 AND step = $3 AND state = 'running'`, uai, year, step, done, total, lease, tx.now)
	return err
}

// SetRolloverStepDone records a step finished with its report.
func (tx Rollover) SetRolloverStepDone(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, report string) error {
	n, err := tx.execN(ctx, `UPDATE rollover_steps SET state = 'done', finished_at = $4, lease_until = NULL, report = $5, error = '',
		progress_done = progress_total WHERE uai = $1 AND school_year = $2 AND step = $3`, uai, year, step, tx.now, report)
	return notFoundIfNone(n, err, "étape")
}

// SetRolloverStepFailed records a step's failure (a later run resumes it).
func (tx Rollover) SetRolloverStepFailed(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int, msg string) error {
	_, err := tx.exec(ctx, `UPDATE rollover_steps SET state = 'failed', finished_at = $4, lease_until = NULL, error = $5
		WHERE uai = $1 AND school_year = $2 AND step = $3 AND state <> 'done'`, uai, year, step, tx.now, msg)
	return err
}

// DeleteRolloverSteps forgets the state, checkpoints and notices of the
// changeovers before year (their reports are kept until the next changeover).
func (tx Rollover) DeleteRolloverSteps(ctx context.Context, uai sillage.UAI, before sillage.SchoolYear) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM rollover_steps WHERE uai = $1 AND school_year < $2`, uai, before)
	if err != nil {
		return 0, err
	}
	for _, q := range []string{`DELETE FROM rollover_checkpoints WHERE uai = $1 AND school_year < $2`,
		`DELETE FROM rollover_notices WHERE uai = $1 AND school_year < $2`} {
		if _, err := tx.exec(ctx, q, uai, before); err != nil {
			return 0, err
		}
	}
	return int(n), nil
}

// RolloverCheckpoint is an item a step has finished.
type RolloverCheckpoint struct {
	UAI        sillage.UAI
	SchoolYear sillage.SchoolYear
	Step       int
	Item       string
	RefID      int64
	Size       int64
	Detail     string
	DoneAt     time.Time
}

// AddRolloverCheckpoint records a finished item (in the transaction of the
// work it stands for); recording the same item twice keeps the first.
func (tx Rollover) AddRolloverCheckpoint(ctx context.Context, uai sillage.UAI, c RolloverCheckpoint) error {
	_, err := tx.exec(ctx, `INSERT INTO rollover_checkpoints (uai, school_year, step, item, ref_id, size, detail, done_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uai, school_year, step, item) DO NOTHING`,
		uai, c.SchoolYear, c.Step, c.Item, c.RefID, c.Size, c.Detail, tx.now)
	return err
}

// SetRolloverCheckpoint records an item, replacing what was recorded
// under the same name (a running count).
func (tx Rollover) SetRolloverCheckpoint(ctx context.Context, uai sillage.UAI, c RolloverCheckpoint) error {
	_, err := tx.exec(ctx, `INSERT INTO rollover_checkpoints (uai, school_year, step, item, ref_id, size, detail, done_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (uai, school_year, step, item)
		DO UPDATE SET ref_id = excluded.ref_id, size = excluded.size, detail = excluded.detail, done_at = excluded.done_at`,
		uai, c.SchoolYear, c.Step, c.Item, c.RefID, c.Size, c.Detail, tx.now)
	return err
}

// ListRolloverCheckpoints returns the finished items of a step.
func (tx Rollover) ListRolloverCheckpoints(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, step int) ([]RolloverCheckpoint, error) {
	return collect(ctx, tx.txn, `SELECT uai, school_year, step, item, ref_id, size, detail, done_at FROM rollover_checkpoints
		WHERE uai = $1 AND school_year = $2 AND step = $3 ORDER BY item`, []any{uai, year, step},
		func(r *sql.Rows) (RolloverCheckpoint, error) {
			var c RolloverCheckpoint
			var u string
			var y int64
			err := r.Scan(&u, &y, &c.Step, &c.Item, &c.RefID, &c.Size, &c.Detail, ts{&c.DoneAt})
			c.UAI, c.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
			return c, err
		})
}

// AddRolloverNotice records a message sent; it reports false when the
// same notice was already recorded (the caller then rolls back its message).
func (tx Rollover) AddRolloverNotice(ctx context.Context, uai sillage.UAI, n sillage.RolloverNotice) (bool, error) {
	c, err := tx.execN(ctx, `INSERT INTO rollover_notices (uai, school_year, kind, recipient_id, message_id, sent_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (uai, school_year, kind, recipient_id) DO NOTHING`,
		uai, n.SchoolYear, n.Kind, n.RecipientID, n.MessageID, tx.now)
	return c > 0, err
}

// ListRolloverNotices returns the notices of a kind sent for year ("" kind: all).
func (tx Rollover) ListRolloverNotices(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear, kind string) ([]sillage.RolloverNotice, error) {
	q, args := `SELECT uai, school_year, kind, recipient_id, message_id, sent_at FROM rollover_notices WHERE uai = $1 AND school_year = $2`, []any{uai, year}
	if kind != "" {
		q += ` AND kind = $3`
		args = append(args, kind)
	}
	return collect(ctx, tx.txn, q+` ORDER BY kind, recipient_id`, args, func(r *sql.Rows) (sillage.RolloverNotice, error) {
		var n sillage.RolloverNotice
		var u string
		var y int64
		err := r.Scan(&u, &y, &n.Kind, &n.RecipientID, &n.MessageID, ts{&n.SentAt})
		n.UAI, n.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
		return n, err
	})
}

// AddRolloverFile records an uploaded initialisation file and sets its ID.
func (tx Rollover) AddRolloverFile(ctx context.Context, uai sillage.UAI, f *sillage.RolloverFile) error {
	id, err := tx.NewID(ctx)
	if err != nil {
		return err
	}
	f.UAI, f.ID = uai, id
	if f.UploadedAt.IsZero() {
		f.UploadedAt = tx.now
	}
	_, err = tx.exec(ctx, `INSERT INTO rollover_files (uai, id, school_year, name, sha256, size, uploaded_at, uploaded_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, uai, f.ID, f.SchoolYear, f.Name, f.SHA256, f.Size, f.UploadedAt, f.UploadedBy)
	return err
}

// GetRolloverFile returns the newest initialisation file uploaded for year.
func (tx Rollover) GetRolloverFile(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (sillage.RolloverFile, error) {
	var f sillage.RolloverFile
	var u string
	var y int64
	err := tx.queryRow(ctx, `SELECT uai, id, school_year, name, sha256, size, uploaded_at, uploaded_by FROM rollover_files
		WHERE uai = $1 AND school_year = $2 ORDER BY uploaded_at DESC, id DESC LIMIT 1`, uai, year).
		Scan(&u, &f.ID, &y, &f.Name, &f.SHA256, &f.Size, ts{&f.UploadedAt}, &f.UploadedBy)
	if err == sql.ErrNoRows {
		return f, sillage.Errorf(sillage.KindNotFound, "aucun fichier d'initialisation déposé")
	}
	f.UAI, f.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
	return f, mapErr(err)
}

// ListAllRolloverFiles returns the uploaded initialisation files of every
// establishment (the hourly job seals those uploaded before they were
// sealed).
func (tx CrossTenant) ListAllRolloverFiles(ctx context.Context) ([]sillage.RolloverFile, error) {
	return collect(ctx, tx.txn, `SELECT uai, id, school_year, name, sha256, size, uploaded_at, uploaded_by FROM rollover_files ORDER BY uai, id`, nil,
		func(r *sql.Rows) (sillage.RolloverFile, error) {
			var f sillage.RolloverFile
			var u string
			var y int64
			err := r.Scan(&u, &f.ID, &y, &f.Name, &f.SHA256, &f.Size, ts{&f.UploadedAt}, &f.UploadedBy)
			f.UAI, f.SchoolYear = sillage.UAI(u), sillage.SchoolYear(y)
			return f, err
		})
}

// ReplaceRolloverFileBlob points an uploaded initialisation file at
// another blob (its sealed copy); the size stays the file's own.
func (tx Rollover) ReplaceRolloverFileBlob(ctx context.Context, uai sillage.UAI, id int64, sha256 string) error {
	n, err := tx.execN(ctx, `UPDATE rollover_files SET sha256 = $3 WHERE uai = $1 AND id = $2`, uai, id, sha256)
	if err == nil && n == 0 {
		err = sillage.Errorf(sillage.KindNotFound, "fichier d'initialisation introuvable")
	}
	return err
}

// DeleteRolloverFiles deletes the initialisation files of the changeovers
// up to year (their blobs are then collected).
func (tx Rollover) DeleteRolloverFiles(ctx context.Context, uai sillage.UAI, year sillage.SchoolYear) (int, error) {
	n, err := tx.execN(ctx, `DELETE FROM rollover_files WHERE uai = $1 AND school_year <= $2`, uai, year)
	return int(n), err
}

// GetYearState returns where uai stands in the changeover between school
// years; the zero state when the changeover has never run there.
func (tx Rollover) GetYearState(ctx context.Context, uai sillage.UAI) (sillage.YearState, error) {
	var s sillage.YearState
	err := tx.queryRow(ctx, `SELECT closed_year, archived_year FROM year_states WHERE uai = $1`, uai).Scan(&s.Closed, &s.Archived)
	if err == sql.ErrNoRows {
		return sillage.YearState{}, nil
	}
	return s, mapErr(err)
}

// SetYearState stores uai's year state. The zero state is stored as no
// row, so that undoing the first changeover leaves the tables as they were.
func (tx Rollover) SetYearState(ctx context.Context, uai sillage.UAI, s sillage.YearState) error {
	if s == (sillage.YearState{}) {
		_, err := tx.exec(ctx, `DELETE FROM year_states WHERE uai = $1`, uai)
		return err
	}
	_, err := tx.exec(ctx, `INSERT INTO year_states (uai, closed_year, archived_year) VALUES ($1, $2, $3)
		ON CONFLICT (uai) DO UPDATE SET closed_year = excluded.closed_year, archived_year = excluded.archived_year`,
		uai, s.Closed, s.Archived)
	return err
}
