package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/sillage/sillage"
)

// The state of the federation protocol (docs/federation.md, « Protocole »):
// the requests this instance sends as a destination, the packages it
// serves as an origin, and the nonces of the messages it received.
// Cross-tenant by design: a row names an establishment of this instance and
// one of a peer instance.

const federationRequestCols = `id, dest_uai, dest_student_id, peer, state, reason, detail, final, origin_uai, digest, counts, attempts,
	next_at, created_at, updated_at`

func scanFederationRequest(r scanner) (sillage.FederationRequest, error) {
	var q sillage.FederationRequest
	var du, st, ou string
	err := r.Scan(&q.ID, &du, &q.DestStudentID, &q.Peer, &st, &q.Reason, &q.Detail, &q.Final, &ou, &q.Digest, &q.Counts, &q.Attempts,
		ts{&q.NextAt}, ts{&q.CreatedAt}, ts{&q.UpdatedAt})
	q.DestUAI, q.State, q.OriginUAI = sillage.UAI(du), sillage.FederationState(st), sillage.UAI(ou)
	return q, err
}

// EnsureFederationRequest returns the request of (student, peer), creating
// it in state sent, due now, with id when there is none.
func (tx CrossTenant) EnsureFederationRequest(ctx context.Context, uai sillage.UAI, studentID int64, peer, id string) (sillage.FederationRequest, error) {
	_, err := tx.exec(ctx, `INSERT INTO federation_requests (id, dest_uai, dest_student_id, peer, state, next_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $6) ON CONFLICT (dest_uai, dest_student_id, peer) DO NOTHING`,
		id, string(uai), studentID, peer, string(sillage.FederationSent), tx.now)
	if err != nil {
		return sillage.FederationRequest{}, err
	}
	q, err := scanFederationRequest(tx.queryRow(ctx, `SELECT `+federationRequestCols+` FROM federation_requests
		WHERE dest_uai = $1 AND dest_student_id = $2 AND peer = $3`, string(uai), studentID, peer))
	return q, mapErr(err)
}

// GetFederationRequest returns a request by id.
func (tx CrossTenant) GetFederationRequest(ctx context.Context, id string) (sillage.FederationRequest, error) {
	q, err := scanFederationRequest(tx.queryRow(ctx, `SELECT `+federationRequestCols+` FROM federation_requests WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return q, sillage.Errorf(sillage.KindNotFound, "demande de fédération introuvable")
	}
	return q, mapErr(err)
}

// ListFederationRequests returns the requests in one of states, every
// establishment's (uai "") or one's, oldest first.
func (tx CrossTenant) ListFederationRequests(ctx context.Context, uai sillage.UAI, states ...sillage.FederationState) ([]sillage.FederationRequest, error) {
	q, args := `SELECT `+federationRequestCols+` FROM federation_requests WHERE (dest_uai = $1 OR $1 = '')`, []any{string(uai)}
	if len(states) > 0 {
		q += ` AND state IN (`
		for i, s := range states {
			if i > 0 {
				q += `, `
			}
			args = append(args, string(s))
			q += `$` + itoa(len(args))
		}
		q += `)`
	}
	q += ` ORDER BY created_at, id`
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.FederationRequest, error) { return scanFederationRequest(r) })
}

// UpdateFederationRequest writes a request's state and what goes with it
// (the caller read it in this transaction), stamped now.
func (tx CrossTenant) UpdateFederationRequest(ctx context.Context, q sillage.FederationRequest) error {
	n, err := tx.execN(ctx, `UPDATE federation_requests SET state = $2, reason = $3, detail = $4, final = $5, origin_uai = $6, digest = $7,
		counts = $8, attempts = $9, next_at = $10, updated_at = $11 WHERE id = $1`,
		q.ID, string(q.State), q.Reason, q.Detail, q.Final, string(q.OriginUAI), q.Digest, q.Counts, q.Attempts, q.NextAt, tx.now)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "demande de fédération introuvable")
	}
	return err
}

const federationServedCols = `peer, request_id, origin_uai, origin_student_id, dest_uai, digest, counts, state, created_at, updated_at`

func scanFederationServed(r scanner) (sillage.FederationServed, error) {
	var s sillage.FederationServed
	var ou, du, st string
	err := r.Scan(&s.Peer, &s.RequestID, &ou, &s.OriginStudentID, &du, &s.Digest, &s.Counts, &st, ts{&s.CreatedAt}, ts{&s.UpdatedAt})
	s.OriginUAI, s.DestUAI, s.State = sillage.UAI(ou), sillage.UAI(du), sillage.FederationState(st)
	return s, err
}

// PutFederationServed records (or refreshes, when the same request is
// asked again: every column, the student included, since a later
// departure may answer it) a package served to a peer. A row already
// deleted stays so.
func (tx CrossTenant) PutFederationServed(ctx context.Context, s sillage.FederationServed) error {
	_, err := tx.exec(ctx, `INSERT INTO federation_served (peer, request_id, origin_uai, origin_student_id, dest_uai, digest, counts, state,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (peer, request_id) DO UPDATE SET origin_uai = excluded.origin_uai, origin_student_id = excluded.origin_student_id,
			dest_uai = excluded.dest_uai, digest = excluded.digest, counts = excluded.counts, updated_at = excluded.updated_at
		WHERE federation_served.state = $8`,
		s.Peer, s.RequestID, string(s.OriginUAI), s.OriginStudentID, string(s.DestUAI), s.Digest, s.Counts, string(sillage.FederationStateServed), tx.now)
	return err
}

// GetFederationServed returns the package served to peer for a request.
func (tx CrossTenant) GetFederationServed(ctx context.Context, peer, requestID string) (sillage.FederationServed, error) {
	s, err := scanFederationServed(tx.queryRow(ctx, `SELECT `+federationServedCols+` FROM federation_served WHERE peer = $1 AND request_id = $2`,
		peer, requestID))
	if err == sql.ErrNoRows {
		return s, sillage.Errorf(sillage.KindNotFound, "aucun dossier envoyé pour cette demande")
	}
	return s, mapErr(err)
}

// ListFederationServed returns an establishment's packages served (uai ""
// for every establishment), in one of states, oldest first.
func (tx CrossTenant) ListFederationServed(ctx context.Context, uai sillage.UAI, states ...sillage.FederationState) ([]sillage.FederationServed, error) {
	q, args := `SELECT `+federationServedCols+` FROM federation_served WHERE (origin_uai = $1 OR $1 = '')`, []any{string(uai)}
	if len(states) > 0 {
		q += ` AND state IN (`
		for i, s := range states {
			if i > 0 {
				q += `, `
			}
			args = append(args, string(s))
			q += `$` + itoa(len(args))
		}
		q += `)`
	}
	q += ` ORDER BY created_at, request_id`
	return collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.FederationServed, error) { return scanFederationServed(r) })
}

// MarkFederationServedDeleted sets a served package's state to deleted; it
// reports whether it was still served (false: already done).
func (tx CrossTenant) MarkFederationServedDeleted(ctx context.Context, peer, requestID string) (bool, error) {
	n, err := tx.execN(ctx, `UPDATE federation_served SET state = $3, updated_at = $4 WHERE peer = $1 AND request_id = $2 AND state = $5`,
		peer, requestID, string(sillage.FederationStateDeleted), tx.now, string(sillage.FederationStateServed))
	return n > 0, err
}

// SeeFederationNonce records a nonce received from peer, kept until
// expires; it reports false when the nonce was already seen (a replay).
func (tx CrossTenant) SeeFederationNonce(ctx context.Context, peer, nonce string, expires time.Time) (bool, error) {
	n, err := tx.execN(ctx, `INSERT INTO federation_nonces (peer, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT (peer, nonce) DO NOTHING`,
		peer, nonce, expires)
	return n > 0, err
}

// DeleteExpiredFederationNonces forgets the nonces expired before t.
func (tx CrossTenant) DeleteExpiredFederationNonces(ctx context.Context, t time.Time) (int64, error) {
	return tx.execN(ctx, `DELETE FROM federation_nonces WHERE expires_at < $1`, t)
}

// SetTransferLogPeer names the peer instance on the other side of a line of
// the transfer log (written by RecordTransferLogs in this transaction).
func (tx CrossTenant) SetTransferLogPeer(ctx context.Context, destUAI sillage.UAI, destStudentID int64, originUAI sillage.UAI, originStudentID int64,
	peer string) error {
	_, err := tx.exec(ctx, `UPDATE transfer_log SET peer = $5 WHERE dest_uai = $1 AND dest_student_id = $2 AND origin_uai = $3 AND origin_student_id = $4`,
		string(destUAI), destStudentID, string(originUAI), originStudentID, peer)
	return err
}
