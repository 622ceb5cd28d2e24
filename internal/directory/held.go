package directory

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sealbox"
)

// HeldTTL is how long an upload held for a mass-deactivation confirmation
// is kept.
const HeldTTL = time.Hour

// HeldPurpose is the sealbox purpose of the held uploads.
const HeldPurpose = sealbox.PurposeHeldImport

// HeldImports keeps the uploads an import held for a mass-deactivation
// confirmation (the file is needed again when the administrator confirms).
// They carry every student's INE: they are kept sealed (sealbox, a key
// outside the database and the data directory), each in a folder named by
// a random token with a meta.json (establishment, type, names as uploaded,
// date), and deleted when confirmed or, past HeldTTL, by Expire, which the
// background jobs run every hour (and the server at start).
type HeldImports struct {
	Dir string
	Box *sealbox.Box
}

// HeldMeta describes a held upload.
type HeldMeta struct {
	UAI     sillage.UAI `json:"uai"`
	Source  Source      `json:"source"`
	FileUAI string      `json:"uai_fichier,omitempty"`
	Files   []HeldFile  `json:"files"`
	Created time.Time   `json:"created"`
}

// HeldFile is one file of a held upload: Path is where it is (sealed in
// the held folder, in clear once taken), Orig the name it was uploaded under.
type HeldFile struct {
	Path string `json:"path"`
	Orig string `json:"orig"`
}

const heldMetaName = "meta.json"

// Keep seals the files of m (their Path in clear, left to the caller to
// remove) into a new held folder and returns its token. The folder appears
// under its token only once complete.
func (h *HeldImports) Keep(m HeldMeta) (string, error) {
	if h.Box == nil {
		return "", sillage.Errorf(sillage.KindUnavailable, "clé de chiffrement absente (SILLAGE_SECRETS_KEY_FILE) : l'import ne peut pas être mis en attente")
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := hex.EncodeToString(b[:])
	if err := os.MkdirAll(h.Dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(h.Dir, "envoi-*")
	if err != nil {
		return "", err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	kept := m
	kept.Files = nil
	for i, f := range m.Files {
		name := fmt.Sprintf("fichier-%d.scelle", i)
		if err := sealFile(h.Box, f.Path, filepath.Join(tmp, name)); err != nil {
			return "", err
		}
		kept.Files = append(kept.Files, HeldFile{Path: name, Orig: f.Orig})
	}
	data, err := json.Marshal(kept)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(tmp, heldMetaName), data, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(h.Dir, token)); err != nil {
		return "", err
	}
	done = true
	return token, nil
}

// Take returns the held upload of token if it is the establishment's and
// not expired at now, its files opened into dir (in clear: the caller
// removes dir when the request ends), and deletes the held folder: a
// token is used once. Another establishment's token is "not found".
func (h *HeldImports) Take(uai sillage.UAI, token string, now time.Time, dir string) (*HeldMeta, error) {
	if len(token) != 32 || strings.Trim(token, "0123456789abcdef") != "" {
		return nil, sillage.Errorf(sillage.KindNotFound, "import en attente introuvable")
	}
	held := filepath.Join(h.Dir, token)
	data, err := os.ReadFile(filepath.Join(held, heldMetaName))
	var m HeldMeta
	if err != nil || json.Unmarshal(data, &m) != nil || m.UAI != uai {
		return nil, sillage.Errorf(sillage.KindNotFound, "import en attente introuvable ou expiré : envoyez le fichier à nouveau")
	}
	defer os.RemoveAll(held)
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
		if err := openFile(h.Box, filepath.Join(held, filepath.Base(f.Path)), clear); err != nil {
			return nil, sillage.Wrap(sillage.KindInvalid, err, "import en attente illisible : envoyez le fichier à nouveau")
		}
		out.Files = append(out.Files, HeldFile{Path: clear, Orig: f.Orig})
	}
	return &out, nil
}

// Expire removes the held uploads past HeldTTL at now, and the folders of
// uploads a crash interrupted (no meta.json) older than twice that by
// their modification time (the injected clock does not date files);
// it returns how many went.
func (h *HeldImports) Expire(now time.Time) (int, error) {
	entries, err := os.ReadDir(h.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		dir := filepath.Join(h.Dir, e.Name())
		var m HeldMeta
		if data, err := os.ReadFile(filepath.Join(dir, heldMetaName)); err == nil && json.Unmarshal(data, &m) == nil {
			if now.Sub(m.Created) > HeldTTL {
				if err := os.RemoveAll(dir); err != nil {
					return n, err
				}
				n++
			}
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 2*HeldTTL {
			if err := os.RemoveAll(dir); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// sealFile writes src sealed to dst (synced).
func sealFile(box *sealbox.Box, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = box.Encrypt(out, in, HeldPurpose)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// openFile writes src opened to dst; a file that does not open leaves no dst.
func openFile(box *sealbox.Box, src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = box.Decrypt(out, in, HeldPurpose)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
	}
	return err
}
