// Package signing holds the instance's signing identity: Ed25519 keys
// derived from a versioned seed file kept outside the database (the INE
// key's file format, checked against the key registry like every key of
// the instance), and the signed envelope that carries what the instance
// vouches for — federation messages, record packages, a departed
// student's passport.
//
// The newest version signs; every version held verifies, so a rotation
// keeps old signatures valid while the old key stays in the file. A
// signature covers a purpose as well as the bytes, so a message signed for
// one use can never be replayed as another.
package signing

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// RegistryName is the key's name in the key registry (internal/keyreg).
const RegistryName = "instance-signing-key"

// KeyFileHeader opens a created instance signing key file.
const KeyFileHeader = `# Clé de signature de l'instance Sillage (Ed25519, dérivée de cette graine) :
# signe les messages de fédération, les dossiers transmis et les passeports.
# Gardez-la hors de la base de données et sauvegardez-la : une nouvelle clé
# obligerait chaque instance partenaire à la déclarer de nouveau.
# Format : une ligne par version, « v<N> <graine en base64> » ; la plus haute signe.
`

// seedLabel derives the Ed25519 seed from a key version's secret.
const seedLabel = "sillage-instance-signing-ed25519"

// context prefixes every signed message: Sillage's signatures are never
// valid for another protocol.
const context = "sillage-signature/1"

// PublicKey is one verifying key with its identifier.
type PublicKey struct {
	ID  string            `json:"id"`  // Fingerprint of Key
	Key ed25519.PublicKey `json:"key"` // 32 bytes (base64 in JSON)
}

// Fingerprint identifies a public key: hex SHA-256 of its 32 bytes. It is
// what operators compare when they declare a peer.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// Signer signs with the newest version of the instance's key.
type Signer struct {
	priv  ed25519.PrivateKey
	privs []ed25519.PrivateKey // every version, in the order of pubs
	pubs  []PublicKey          // newest first
}

// NewSigner derives the keys of every version of the seed file.
func NewSigner(kr ident.Keyring) (*Signer, error) {
	versions := kr.Versions()
	if len(versions) == 0 {
		return nil, sillage.Errorf(sillage.KindUnavailable, "clé de signature de l'instance absente")
	}
	slices.Sort(versions)
	slices.Reverse(versions)
	s := &Signer{}
	for _, v := range versions {
		seed, _ := kr.MAC(v, seedLabel, nil)
		priv := ed25519.NewKeyFromSeed(seed)
		pub := priv.Public().(ed25519.PublicKey)
		s.pubs = append(s.pubs, PublicKey{ID: Fingerprint(pub), Key: pub})
		s.privs = append(s.privs, priv)
		if v == kr.Version() {
			s.priv = priv
		}
	}
	return s, nil
}

// PublicKeys returns every verifying key of the instance, the signing one
// first.
func (s *Signer) PublicKeys() []PublicKey { return slices.Clone(s.pubs) }

// KeyID is the identifier of the key that signs.
func (s *Signer) KeyID() string { return s.pubs[0].ID }

// String never shows the key.
func (s *Signer) String() string { return "clé de signature de l'instance (masquée)" }

// Signature is one Ed25519 signature and the key that made it.
type Signature struct {
	KeyID string `json:"key_id"`
	Value []byte `json:"value"` // 64 bytes (base64 in JSON)
}

func signed(purpose string, msg []byte) []byte {
	b := make([]byte, 0, len(context)+len(purpose)+len(msg)+2)
	b = append(b, context...)
	b = append(b, 0)
	b = append(b, purpose...)
	b = append(b, 0)
	return append(b, msg...)
}

// Sign signs msg for purpose (a short fixed name such as
// "federation-request").
func (s *Signer) Sign(purpose string, msg []byte) Signature {
	return Signature{KeyID: s.pubs[0].ID, Value: ed25519.Sign(s.priv, signed(purpose, msg))}
}

// SignAll signs msg for purpose with every version of the key, newest
// first: a peer that pinned an older key still recognises what the newest
// signs (a rotation endorsed by the keys it replaces).
func (s *Signer) SignAll(purpose string, msg []byte) []Signature {
	out := make([]Signature, len(s.privs))
	for i, priv := range s.privs {
		out[i] = Signature{KeyID: s.pubs[i].ID, Value: ed25519.Sign(priv, signed(purpose, msg))}
	}
	return out
}

// Verify checks that sig is a signature of msg for purpose by one of keys
// (the key it names). The error is in French and says which check failed.
func Verify(keys []PublicKey, purpose string, msg []byte, sig Signature) error {
	for _, k := range keys {
		if k.ID != sig.KeyID {
			continue
		}
		if len(k.Key) != ed25519.PublicKeySize || !ed25519.Verify(k.Key, signed(purpose, msg), sig.Value) {
			return sillage.Errorf(sillage.KindInvalid, "signature invalide : le contenu a été modifié ou n'a pas été signé par cette clé")
		}
		return nil
	}
	if sig.KeyID == "" {
		return sillage.Errorf(sillage.KindInvalid, "message non signé")
	}
	return sillage.Errorf(sillage.KindInvalid, "signature par une clé inconnue (%s)", Short(sig.KeyID))
}

// Short is the beginning of a fingerprint, enough to compare two by eye.
func Short(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

// Envelope is a signed message: the payload's bytes exactly as signed
// (base64 in JSON, so re-indenting the envelope cannot break the
// signature), what they were signed for, and the signature.
type Envelope struct {
	Purpose   string    `json:"purpose"`
	Payload   []byte    `json:"payload"`
	Signature Signature `json:"signature"`
}

// Seal encodes payload as JSON and signs it for purpose.
func (s *Signer) Seal(purpose string, payload any) (Envelope, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("signing: encode %s: %w", purpose, err)
	}
	return Envelope{Purpose: purpose, Payload: b, Signature: s.Sign(purpose, b)}, nil
}

// Open verifies env against keys for purpose and decodes its payload into
// into. An envelope signed for another purpose is refused.
func Open(keys []PublicKey, purpose string, env Envelope, into any) error {
	if env.Purpose != purpose {
		return sillage.Errorf(sillage.KindInvalid, "message de type « %s » reçu où « %s » était attendu", env.Purpose, purpose)
	}
	if err := Verify(keys, purpose, env.Payload, env.Signature); err != nil {
		return err
	}
	if err := json.Unmarshal(env.Payload, into); err != nil {
		return sillage.Errorf(sillage.KindInvalid, "message signé illisible : %v", err)
	}
	return nil
}

// GoString never shows the key either (%#v).
func (s *Signer) GoString() string { return s.String() }
