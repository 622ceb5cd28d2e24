package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/sillage/sillage"
)

// Federation holds the instance's identity in the federation and the
// peers the operator declared (instance-level, no tenant data).
type Federation struct{ *txn }

// Federation returns the transaction's Federation view.
func (tx *Tx) Federation() Federation { return Federation{tx} }

// InstanceID returns the instance's identifier in the federation, drawn
// (random, 128 bits) and stored by the first call.
func (tx Federation) InstanceID(ctx context.Context) (string, error) {
	var id string
	err := tx.queryRow(ctx, `SELECT instance_id FROM federation_identity WHERE singleton = 1`).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", mapErr(err)
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	if _, err := tx.exec(ctx, `INSERT INTO federation_identity (singleton, instance_id, created_at) VALUES (1, $1, $2) ON CONFLICT (singleton) DO NOTHING`,
		"sillage-"+hex.EncodeToString(b), tx.now); err != nil {
		return "", err
	}
	if err := tx.queryRow(ctx, `SELECT instance_id FROM federation_identity WHERE singleton = 1`).Scan(&id); err != nil {
		return "", mapErr(err)
	}
	return id, nil
}

const peerCols = `id, name, base_url, fingerprint, added_at, description, fetched_at, last_error, error_at`

func scanPeer(sc interface{ Scan(...any) error }) (sillage.FederationPeer, error) {
	var p sillage.FederationPeer
	var desc string
	err := sc.Scan(&p.ID, &p.Name, &p.BaseURL, &p.Fingerprint, ts{&p.AddedAt}, &desc, ts{&p.FetchedAt}, &p.LastError, ts{&p.ErrorAt})
	if desc != "" {
		p.Description = []byte(desc)
	}
	return p, err
}

// AddPeer declares a peer; its base URL must not be declared already.
func (tx Federation) AddPeer(ctx context.Context, p sillage.FederationPeer) (sillage.FederationPeer, error) {
	if p.BaseURL == "" || p.Fingerprint == "" || p.Name == "" {
		return p, sillage.Errorf(sillage.KindInvalid, "une instance partenaire a un nom, une adresse et une empreinte de clé")
	}
	n, err := tx.count(ctx, `SELECT COUNT(*) FROM federation_peers WHERE base_url = $1`, p.BaseURL)
	if err != nil {
		return p, err
	}
	if n > 0 {
		return p, sillage.Errorf(sillage.KindConflict, "l'instance %s est déjà déclarée", p.BaseURL)
	}
	id, err := tx.NewID(ctx)
	if err != nil {
		return p, err
	}
	p.ID, p.AddedAt = id, tx.now
	_, err = tx.exec(ctx, `INSERT INTO federation_peers (id, name, base_url, fingerprint, added_at) VALUES ($1, $2, $3, $4, $5)`,
		p.ID, p.Name, p.BaseURL, strings.ToLower(p.Fingerprint), p.AddedAt)
	p.Fingerprint = strings.ToLower(p.Fingerprint)
	return p, err
}

// ListPeers returns the declared peers, by name.
func (tx Federation) ListPeers(ctx context.Context) ([]sillage.FederationPeer, error) {
	return collect(ctx, tx.txn, `SELECT `+peerCols+` FROM federation_peers ORDER BY name, id`, nil,
		func(r *sql.Rows) (sillage.FederationPeer, error) { return scanPeer(r) })
}

// GetPeer returns a declared peer.
func (tx Federation) GetPeer(ctx context.Context, id int64) (sillage.FederationPeer, error) {
	p, err := scanPeer(tx.queryRow(ctx, `SELECT `+peerCols+` FROM federation_peers WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, sillage.Errorf(sillage.KindNotFound, "instance partenaire introuvable")
	}
	return p, mapErr(err)
}

// PeerByURL returns the declared peer at baseURL: an instance that is not
// declared is refused (KindForbidden), whatever it sends.
func (tx Federation) PeerByURL(ctx context.Context, baseURL string) (sillage.FederationPeer, error) {
	p, err := scanPeer(tx.queryRow(ctx, `SELECT `+peerCols+` FROM federation_peers WHERE base_url = $1`, baseURL))
	if errors.Is(err, sql.ErrNoRows) {
		return p, sillage.Errorf(sillage.KindForbidden, "l'instance %s n'est pas une instance partenaire déclarée", baseURL)
	}
	return p, mapErr(err)
}

// RemovePeer forgets a declared peer.
func (tx Federation) RemovePeer(ctx context.Context, id int64) error {
	n, err := tx.execN(ctx, `DELETE FROM federation_peers WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "instance partenaire introuvable")
	}
	return nil
}

// SetPeerDescription records a verified description of the peer (the
// signed envelope as received), and clears the last error.
func (tx Federation) SetPeerDescription(ctx context.Context, id int64, envelope []byte) error {
	n, err := tx.execN(ctx, `UPDATE federation_peers SET description = $2, fetched_at = $3, last_error = '', error_at = NULL WHERE id = $1`,
		id, string(envelope), tx.now)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "instance partenaire introuvable")
	}
	return err
}

// SetPeerError records why fetching the peer's description failed; the
// last verified description stays.
func (tx Federation) SetPeerError(ctx context.Context, id int64, msg string) error {
	n, err := tx.execN(ctx, `UPDATE federation_peers SET last_error = $2, error_at = $3 WHERE id = $1`, id, msg, tx.now)
	if err == nil && n == 0 {
		return sillage.Errorf(sillage.KindNotFound, "instance partenaire introuvable")
	}
	return err
}

// ListFederationHashes returns the federation hash versions of the
// establishment's students, by person, each sorted.
func (tx Imports) ListFederationHashes(ctx context.Context, uai sillage.UAI) (map[int64][]string, error) {
	return tx.listPersonKeys(ctx, `SELECT person_id, hash FROM person_federation_hashes WHERE uai = $1 ORDER BY person_id, hash`, uai)
}

// ReplaceFederationHashes sets the federation hash versions of these
// students of the establishment to exactly the given ones.
func (tx Imports) ReplaceFederationHashes(ctx context.Context, uai sillage.UAI, sets []sillage.PersonFederationHashes) error {
	ids, keys := make([]int64, len(sets)), make([][]string, len(sets))
	for i, s := range sets {
		ids[i], keys[i] = s.PersonID, s.Hashes
	}
	return tx.replacePersonKeys(ctx, "person_federation_hashes", "hash", uai, ids, keys)
}

// GetFederationHashes returns one student's federation hash versions, sorted.
func (tx People) GetFederationHashes(ctx context.Context, uai sillage.UAI, personID int64) ([]string, error) {
	return collect(ctx, tx.txn, `SELECT hash FROM person_federation_hashes WHERE uai = $1 AND person_id = $2 ORDER BY hash`, []any{uai, personID},
		func(r *sql.Rows) (string, error) {
			var h string
			return h, r.Scan(&h)
		})
}

// FindIndexByFederationHashes returns the transfer index entries (students
// deactivated by an establishment of this instance) whose student has one
// of hashes: how the origin instance finds the student a peer asks for.
// Newest deactivation first.
func (tx CrossTenant) FindIndexByFederationHashes(ctx context.Context, hashes []string) ([]sillage.TransferIndexEntry, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	q := `SELECT DISTINCT i.unqid, i.origin_uai, i.origin_student_id, i.diploma, i.deactivated_at
		FROM transfer_index i JOIN person_federation_hashes f ON f.uai = i.origin_uai AND f.person_id = i.origin_student_id
		WHERE f.hash IN (`
	args := make([]any, 0, len(hashes))
	for i, h := range hashes {
		if i > 0 {
			q += ", "
		}
		args = append(args, h)
		q += "$" + itoa(len(args))
	}
	q += `) ORDER BY i.deactivated_at DESC, i.origin_uai, i.origin_student_id`
	out, err := collect(ctx, tx.txn, q, args, func(r *sql.Rows) (sillage.TransferIndexEntry, error) {
		var e sillage.TransferIndexEntry
		var u string
		err := r.Scan(&e.Unqid, &u, &e.OriginStudentID, &e.Diploma, ts{&e.DeactivatedAt})
		e.OriginUAI = sillage.UAI(u)
		return e, err
	})
	return out, err
}
