package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// Key seals the audit chains: HMAC-SHA256 under a versioned key kept
// outside the database, in the INE key's file format (ident). The newest
// version seals new entries; every version held verifies the old ones.
type Key struct{ kr ident.Keyring }

// NewKey wraps a keyring (ident.Load / LoadOrCreateWithHeader).
func NewKey(kr ident.Keyring) *Key { return &Key{kr: kr} }

const chainLabel = "sillage-audit-chain"

// KeyFileHeader opens a created audit key file.
const KeyFileHeader = `# Clé du journal d'audit de Sillage : scelle chaque entrée (HMAC).
# Gardez-la hors de la base de données et sauvegardez-la : sans elle,
# « sillage audit verify » ne peut plus prouver que le journal est intact.
# Format : une ligne par version, « v<N> <clé en base64> » ; la plus haute sert.
`

// SigningKeyFileHeader opens a created checkpoint signing key file.
const SigningKeyFileHeader = `# Clé de signature des points de contrôle du journal d'audit de Sillage
# (Ed25519, dérivée de cette graine). Gardez-la hors de la base de données.
# Format : une ligne par version, « v<N> <graine en base64> » ; la plus haute signe.
`

func (k *Key) mac(version int, e sillage.AuditEntry) (string, bool) {
	sum, ok := k.kr.MAC(version, chainLabel, e.Canonical())
	if !ok {
		return "", false
	}
	return "v" + strconv.Itoa(version) + ":" + hex.EncodeToString(sum), true
}

// Seal returns the keyed hash of e under the newest version.
func (k *Key) Seal(e sillage.AuditEntry) string {
	h, _ := k.mac(k.kr.Version(), e)
	return h
}

// check reports whether e.Hash is e's keyed hash; known is false when the
// version it names is not in the key file.
func (k *Key) check(e sillage.AuditEntry) (ok, known bool) {
	v, _ := sillage.KeyedHash(e.Hash)
	want, known := k.mac(v, e)
	if !known {
		return false, false
	}
	return hmac.Equal([]byte(want), []byte(e.Hash)), true
}

// String never shows the key.
func (k *Key) String() string { return "clé du journal d'audit (masquée)" }

// SealChains seals the chains written before the audit key existed: each
// gets one journal entry, keyed and chained to its current head, so that
// from it on the chain cannot be rewritten without the key. It acts only
// once per instance, while no chain is keyed yet: afterwards an unkeyed
// head means the chain was cut back or rewritten, which must be reported
// by verification, not sealed over. Returns the number of chains sealed.
func SealChains(ctx context.Context, st *store.Store) (int, error) {
	if !st.AuditKeyed() {
		return 0, sillage.Errorf(sillage.KindUnavailable, "clé du journal d'audit absente : le journal ne peut pas être scellé")
	}
	n := 0
	err := st.Write(ctx, func(tx *store.Tx) error {
		chains, err := tx.CrossTenant().AuditChains(ctx)
		if err != nil {
			return err
		}
		for _, c := range chains {
			if _, keyed := sillage.KeyedHash(c.Hash); keyed {
				return nil // already sealed (this instance or a concurrent start)
			}
		}
		for _, c := range chains {
			if c.Seq == 0 {
				continue
			}
			if err := Record(ctx, tx, c.UAI, System, ChainSealed, "journal d'audit",
				fmt.Sprintf("chaîne scellée par la clé du journal à partir de l'entrée n° %d", c.Seq)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Signer signs checkpoints with Ed25519; the private key is derived from a
// versioned seed file kept outside the database.
type Signer struct {
	version int
	priv    ed25519.PrivateKey
	pubs    map[int]ed25519.PublicKey
}

const signLabel = "sillage-audit-checkpoint-ed25519"

// NewSigner derives the signing keys of every version of the seed file.
func NewSigner(kr ident.Keyring) *Signer {
	s := &Signer{version: kr.Version(), pubs: map[int]ed25519.PublicKey{}}
	for _, v := range kr.Versions() {
		seed, _ := kr.MAC(v, signLabel, nil)
		priv := ed25519.NewKeyFromSeed(seed)
		s.pubs[v] = priv.Public().(ed25519.PublicKey)
		if v == s.version {
			s.priv = priv
		}
	}
	return s
}

// String never shows the key.
func (s *Signer) String() string { return "clé de signature des points de contrôle (masquée)" }

// CheckpointFormat names the checkpoint file format.
const CheckpointFormat = "sillage-audit-checkpoint/1"

// CheckpointHead is one chain's head at the checkpoint.
type CheckpointHead struct {
	UAI  sillage.UAI `json:"uai"`
	Seq  int64       `json:"seq"`
	Hash string      `json:"hash"`
}

// checkpointBody is what is signed: its JSON encoding (fields in this
// order, deterministic).
type checkpointBody struct {
	Format     string           `json:"format"`
	CreatedAt  time.Time        `json:"created_at"`
	KeyVersion int              `json:"key_version"`
	PublicKey  string           `json:"public_key"`
	Heads      []CheckpointHead `json:"heads"`
}

// Checkpoint is a signed record of every chain head, kept away from the
// database: the log cannot later lose or rewrite what it attests.
type Checkpoint struct {
	checkpointBody
	Signature string `json:"signature"`
}

// MakeCheckpoint reads every chain head and signs them.
func MakeCheckpoint(ctx context.Context, st *store.Store, s *Signer, now time.Time) (Checkpoint, error) {
	var chains []sillage.AuditHead
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { chains, err = tx.CrossTenant().AuditChains(ctx); return err }); err != nil {
		return Checkpoint{}, err
	}
	b := checkpointBody{Format: CheckpointFormat, CreatedAt: now.UTC().Truncate(time.Second), KeyVersion: s.version,
		PublicKey: base64.StdEncoding.EncodeToString(s.pubs[s.version]), Heads: []CheckpointHead{}}
	for _, c := range chains {
		b.Heads = append(b.Heads, CheckpointHead{UAI: c.UAI, Seq: c.Seq, Hash: c.Hash})
	}
	msg, err := json.Marshal(b)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{checkpointBody: b, Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(s.priv, msg))}, nil
}

// WriteCheckpoint writes c as indented JSON.
func WriteCheckpoint(w io.Writer, c Checkpoint) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// ReadCheckpoint parses a checkpoint file and checks its signature with
// the signer's public key of the version it names (never the key the file
// itself carries).
func ReadCheckpoint(data []byte, s *Signer) (Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(data, &c); err != nil || c.Format != CheckpointFormat {
		return Checkpoint{}, sillage.Errorf(sillage.KindInvalid, "point de contrôle illisible : fichier produit par « sillage audit checkpoint » attendu")
	}
	pub, ok := s.pubs[c.KeyVersion]
	if !ok {
		return Checkpoint{}, sillage.Errorf(sillage.KindInvalid, "point de contrôle signé par la clé v%d, absente du fichier de clé de signature", c.KeyVersion)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	msg, merr := json.Marshal(c.checkpointBody)
	if err != nil || merr != nil || !ed25519.Verify(pub, msg, sig) {
		return Checkpoint{}, sillage.Errorf(sillage.KindInvalid, "signature du point de contrôle invalide : le fichier a été modifié ou n'a pas été signé par cette clé")
	}
	return c, nil
}
