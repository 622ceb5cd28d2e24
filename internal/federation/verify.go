package federation

import (
	"encoding/json"
	"io"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
)

// PurposeLabel names what a signed archive is, in French.
func PurposeLabel(purpose string) string {
	switch purpose {
	case signedzip.PurposePassport:
		return "passeport d'un élève parti"
	case signedzip.PurposeFederationPackage:
		return "dossier transmis entre instances"
	}
	return "archive « " + purpose + " »"
}

// PublishedKeys reads a description as published (Signed JSON, e.g. saved
// from /federation/description or `sillage federation describe --json`)
// and returns its keys, once it is checked to be signed by one of them.
// Whose keys they are is for the reader to compare (the fingerprint
// printed with the result), since such a file vouches only for itself.
func PublishedKeys(raw []byte) ([]signing.PublicKey, Description, error) {
	var sd Signed
	var d Description
	if err := json.Unmarshal(raw, &sd); err != nil || sd.Purpose != PurposeDescription || json.Unmarshal(sd.Payload, &d) != nil {
		return nil, Description{}, sillage.Errorf(sillage.KindInvalid, "ce fichier n'est pas une description d'instance Sillage (GET /federation/description)")
	}
	var keys []signing.PublicKey
	for _, k := range d.Keys {
		if len(k.Key) == 32 && signing.Fingerprint(k.Key) == k.ID {
			keys = append(keys, k)
		}
	}
	if err := signing.Verify(keys, PurposeDescription, sd.Payload, sd.Signature); err != nil {
		return nil, Description{}, err
	}
	return keys, d, nil
}

// Verdict is what a verification shows: valid or not, and for a valid
// archive who issued it and when — nothing of its content.
type Verdict struct {
	Valid    bool
	Reason   string // why not, in French
	Purpose  string // PurposeLabel of the manifest's purpose
	Issuer   signedzip.Issuer
	IssuedAt string // in the schools' time zone
	KeyID    string // fingerprint of the key that signed
	Files    int
	Digest   string
}

// CheckArchive verifies a signed archive against keys (signedzip.Verify)
// and says so in a Verdict.
func CheckArchive(r io.ReaderAt, size int64, keys []signing.PublicKey) Verdict {
	m, err := signedzip.Verify(r, size, keys)
	if err != nil {
		return Verdict{Reason: sillage.Message(err)}
	}
	return Verdict{Valid: true, Purpose: PurposeLabel(m.Purpose), Issuer: m.Issuer, IssuedAt: sillage.FormatDateTime(m.IssuedAt) + " (" + sillage.ZoneLabel() + ")",
		KeyID: m.KeyID, Files: len(m.Files), Digest: m.Digest}
}
