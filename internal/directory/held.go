package directory

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// HeldTTL is how long an upload held for a mass-deactivation confirmation
// is kept.
const HeldTTL = time.Hour

// HeldPurpose is the sealbox purpose of the held uploads.
const HeldPurpose = sealbox.PurposeHeldImport

// HeldImports keeps the uploads an import held for a mass-deactivation
// confirmation (the file is needed again when the administrator confirms).
// They carry every student's INE: they are kept sealed (sealbox, a key
// outside the database and the data directory), in the database (so that
// the confirmation may reach any server of the instance), under a random
// token with a description (establishment, type, names as uploaded,
// date), and deleted when confirmed or, past HeldTTL, by Expire, which the
// background jobs run every hour.
type HeldImports struct {
	Store *store.Store
	Box   *sealbox.Box
}

// HeldMeta describes a held upload.
type HeldMeta struct {
	UAI     sillage.UAI `json:"uai"`
	Source  Source      `json:"source"`
	FileUAI string      `json:"uai_fichier,omitempty"`
	Files   []HeldFile  `json:"files"`
	Created time.Time   `json:"created"`
}

// HeldFile is one file of a held upload: Path is where it is in clear
// (given to Keep, returned by Take), Orig the name it was uploaded under.
type HeldFile struct {
	Path string `json:"path,omitempty"`
	Orig string `json:"orig"`
}

// Keep seals the files of m (their Path in clear, left to the caller to
// remove) into a new held upload and returns its token.
func (h *HeldImports) Keep(ctx context.Context, m HeldMeta) (string, error) {
	if h.Box == nil {
		return "", sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : l'import ne peut pas être mis en attente")
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	kept := HeldImport{Token: token, Created: m.Created}
	desc := m
	desc.Files = nil
	for _, f := range m.Files {
		sealed, err := sealFile(h.Box, f.Path)
		if err != nil {
			return "", fmt.Errorf("seal held upload %s: %w", f.Orig, err)
		}
		kept.Files = append(kept.Files, sealed)
		desc.Files = append(desc.Files, HeldFile{Orig: f.Orig})
	}
	meta, err := json.Marshal(desc)
	if err != nil {
		return "", err
	}
	kept.Meta = meta
	err = h.Store.Write(ctx, func(tx *store.Tx) error { return tx.Imports().KeepHeldImport(ctx, m.UAI, kept) })
	if err != nil {
		return "", err
	}
	return token, nil
}

// HeldImport is a held upload as the store keeps it.
type HeldImport = store.HeldImport

// Take returns the held upload of token if it is the establishment's and
// not expired at now, its files opened into dir (in clear: the caller
// removes dir when the request ends), and deletes it: a token is used
// once, even when what follows fails. Another establishment's token is
// "not found".
func (h *HeldImports) Take(ctx context.Context, uai sillage.UAI, token string, now time.Time, dir string) (*HeldMeta, error) {
	if len(token) != 32 || strings.Trim(token, "0123456789abcdef") != "" {
		return nil, sillage.Errorf(sillage.KindNotFound, "import en attente introuvable")
	}
	var held HeldImport
	err := h.Store.Write(ctx, func(tx *store.Tx) (err error) {
		held, err = tx.Imports().TakeHeldImport(ctx, uai, token)
		return err
	})
	if err != nil {
		return nil, err
	}
	var m HeldMeta
	if json.Unmarshal(held.Meta, &m) != nil || m.UAI != uai || len(m.Files) != len(held.Files) {
		return nil, sillage.Errorf(sillage.KindNotFound, "import en attente illisible : envoyez le fichier à nouveau")
	}
	if now.Sub(m.Created) > HeldTTL {
		return nil, sillage.Errorf(sillage.KindNotFound, "import en attente expiré : envoyez le fichier à nouveau")
	}
	if h.Box == nil {
		return nil, sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : l'import en attente ne peut pas être relu")
	}
	out := m
	out.Files = nil
	for i, f := range m.Files {
		clear := filepath.Join(dir, fmt.Sprintf("confirme-%d", i))
		if err := openFile(h.Box, held.Files[i], clear); err != nil {
			return nil, sillage.Wrap(sillage.KindInvalid, err, "import en attente illisible : envoyez le fichier à nouveau")
		}
		out.Files = append(out.Files, HeldFile{Path: clear, Orig: f.Orig})
	}
	return &out, nil
}

// Expire deletes the held uploads of every establishment past HeldTTL at
// now and returns how many went.
func (h *HeldImports) Expire(ctx context.Context, now time.Time) (n int, err error) {
	err = h.Store.Write(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.CrossTenant().ExpireHeldImports(ctx, now.Add(-HeldTTL))
		return err
	})
	return n, err
}

// sealFile returns the content of src sealed.
func sealFile(box *sealbox.Box, src string) ([]byte, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var out bytes.Buffer
	if _, err := box.Encrypt(&out, in, HeldPurpose); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// openFile writes sealed opened to dst; a file that does not open leaves
// no dst.
func openFile(box *sealbox.Box, sealed []byte, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = box.Decrypt(out, bytes.NewReader(sealed), HeldPurpose)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}
