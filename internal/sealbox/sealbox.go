// Package sealbox encrypts the files Sillage must keep for a while although
// they hold secrets or INEs in clear: the credential lists (one-time
// passwords), the changeover initialisation files and the imports held for
// a confirmation. The key lives in a file outside the database and the data
// directory (SILLAGE_SECRETS_KEY_FILE): a copy of either alone reveals
// nothing.
//
// A sealed file is: the magic "SLGSEAL1", the key version (4 bytes, big
// endian), a random 32-byte salt, then chunks. Each file has its own
// AES-256-GCM key, HKDF-SHA256(secret, salt, info = "sillage sealbox " +
// purpose): a file sealed for one purpose does not open for another. A
// chunk is its length (4 bytes) and at most 64 KiB of plaintext sealed
// under the nonce (chunk counter, last-chunk flag): chunks cannot be
// reordered, dropped or the file truncated without Open failing.
package sealbox

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// Magic opens every sealed file.
const Magic = "SLGSEAL1"

// Purposes of the files sealed: a file sealed for one does not open for
// another.
const (
	PurposeCredentials = "credentials" // credential lists (PDF, CSV)
	PurposeInitFile    = "init-file"   // changeover initialisation files
	PurposeHeldImport  = "held-import" // imports held for a confirmation
)

const (
	keySize   = 32
	saltSize  = 32
	chunkSize = 64 << 10
	headerLen = len(Magic) + 4 + saltSize
)

// ErrOpen is returned for a file that does not open: not sealed, sealed
// under a key the file does not hold, altered or truncated.
var ErrOpen = sillage.Errorf(sillage.KindInvalid, "fichier chiffré illisible : altéré, tronqué ou chiffré avec une autre clé")

// Box holds the versioned secrets; the newest seals, every version opens.
type Box struct {
	secrets map[int][]byte
	current int
}

// New returns a box of the given secrets by version (≥ 1, 32 bytes at least).
func New(secrets map[int][]byte) (*Box, error) {
	if len(secrets) == 0 {
		return nil, sillage.Errorf(sillage.KindInvalid, "aucune clé de chiffrement fournie")
	}
	b := &Box{secrets: map[int][]byte{}}
	for v, s := range secrets {
		if v < 1 || len(s) < keySize {
			return nil, sillage.Errorf(sillage.KindInvalid, "clé de chiffrement v%d invalide : version ≥ 1 et %d octets aléatoires au moins", v, keySize)
		}
		b.secrets[v] = bytes.Clone(s)
		b.current = max(b.current, v)
	}
	return b, nil
}

// String never shows a key.
func (b *Box) String() string { return "sealbox.Box{version: " + strconv.Itoa(b.current) + "}" }

// IsSealed reports whether data starts like a sealed file.
func IsSealed(data []byte) bool { return bytes.HasPrefix(data, []byte(Magic)) }

func (b *Box) aead(version int, salt []byte, purpose string) (cipher.AEAD, error) {
	secret, ok := b.secrets[version]
	if !ok {
		return nil, ErrOpen
	}
	key, err := hkdf.Key(sha256.New, secret, salt, "sillage sealbox "+purpose, keySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func nonce(counter uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n, counter)
	if last {
		n[11] = 1
	}
	return n
}

// Encrypt writes r sealed for purpose to w and returns the bytes written.
func (b *Box) Encrypt(w io.Writer, r io.Reader, purpose string) (int64, error) {
	var hdr [headerLen]byte
	copy(hdr[:], Magic)
	binary.BigEndian.PutUint32(hdr[len(Magic):], uint32(b.current))
	salt := hdr[len(Magic)+4:]
	if _, err := rand.Read(salt); err != nil {
		return 0, err
	}
	g, err := b.aead(b.current, salt, purpose)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	if _, err := cw.Write(hdr[:]); err != nil {
		return cw.n, err
	}
	read := func(buf []byte) ([]byte, error) {
		n, err := io.ReadFull(r, buf)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			err = nil
		}
		return buf[:n], err
	}
	cur, err := read(make([]byte, chunkSize))
	if err != nil {
		return cw.n, err
	}
	spare := make([]byte, chunkSize)
	out := make([]byte, 0, chunkSize+g.Overhead()+4)
	for counter := uint64(0); ; counter++ {
		var next []byte
		if len(cur) == chunkSize {
			if next, err = read(spare); err != nil {
				return cw.n, err
			}
		}
		last := len(next) == 0
		out = binary.BigEndian.AppendUint32(out[:0], uint32(len(cur)+g.Overhead()))
		out = g.Seal(out, nonce(counter, last), cur, nil)
		if _, err := cw.Write(out); err != nil {
			return cw.n, err
		}
		if last {
			return cw.n, nil
		}
		spare = cur[:cap(cur)]
		cur = next
	}
}

// Decrypt writes to w what r holds sealed for purpose, and returns the
// plaintext bytes written. A file altered, truncated or sealed for another
// purpose is ErrOpen; what was written before the failure must be dropped.
func (b *Box) Decrypt(w io.Writer, r io.Reader, purpose string) (int64, error) {
	br := bufio.NewReaderSize(r, chunkSize+64)
	var hdr [headerLen]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[:len(Magic)]) != Magic {
		return 0, ErrOpen
	}
	g, err := b.aead(int(binary.BigEndian.Uint32(hdr[len(Magic):])), hdr[len(Magic)+4:], purpose)
	if err != nil {
		return 0, err
	}
	var total int64
	buf := make([]byte, chunkSize+g.Overhead())
	var lenBuf [4]byte
	for counter := uint64(0); ; counter++ {
		if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
			return total, ErrOpen // no last chunk: truncated
		}
		n := int(binary.BigEndian.Uint32(lenBuf[:]))
		if n < g.Overhead() || n > len(buf) {
			return total, ErrOpen
		}
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			return total, ErrOpen
		}
		_, peekErr := br.Peek(1)
		last := peekErr == io.EOF
		plain, err := g.Open(buf[:0], nonce(counter, last), buf[:n], nil)
		if err != nil {
			return total, ErrOpen
		}
		m, err := w.Write(plain)
		total += int64(m)
		if err != nil {
			return total, err
		}
		if last {
			return total, nil
		}
	}
}

// Seal seals a small plaintext held in memory.
func (b *Box) Seal(plain []byte, purpose string) ([]byte, error) {
	var out bytes.Buffer
	_, err := b.Encrypt(&out, bytes.NewReader(plain), purpose)
	return out.Bytes(), err
}

// Open opens what Seal sealed.
func (b *Box) Open(sealed []byte, purpose string) ([]byte, error) {
	var out bytes.Buffer
	if _, err := b.Decrypt(&out, bytes.NewReader(sealed), purpose); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// keyFileHeader opens every key file created: the operator reads it.
const keyFileHeader = `# Clé de chiffrement des fichiers sensibles de Sillage (listes d'identifiants,
# fichiers d'initialisation, imports en attente de confirmation).
# Gardez-la hors du dossier des données et de la base, sauvegardez-la à part.
# Format : une ligne par version, « v<N> <clé en base64> » ; la plus haute chiffre.
`

// Load reads the key file at path; it refuses a file the group or others
// may read (mode 0600 or stricter).
func Load(path string) (*Box, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, sillage.Errorf(sillage.KindUnavailable, "fichier de la clé de chiffrement %s introuvable", path)
	}
	if err != nil {
		return nil, fmt.Errorf("ouverture du fichier de la clé de chiffrement %s : %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, sillage.Errorf(sillage.KindInvalid, "%s n'est pas un fichier ordinaire : la clé de chiffrement doit en être un", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, sillage.Errorf(sillage.KindInvalid,
			"le fichier de la clé de chiffrement %s est accessible au groupe ou aux autres utilisateurs (droits %04o) : chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, err
	}
	secrets := map[int][]byte{}
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		var v int
		var s []byte
		if len(fields) == 2 && strings.HasPrefix(fields[0], "v") {
			v, err = strconv.Atoi(fields[0][1:])
			if err == nil {
				s, err = base64.StdEncoding.DecodeString(fields[1])
			}
		}
		if len(fields) != 2 || err != nil || v < 1 || len(s) < keySize {
			return nil, sillage.Errorf(sillage.KindInvalid, "fichier de la clé de chiffrement %s, ligne %d : « v<N> <%d octets en base64> » attendu", path, n+1, keySize)
		}
		if _, dup := secrets[v]; dup {
			return nil, sillage.Errorf(sillage.KindInvalid, "fichier de la clé de chiffrement %s, ligne %d : la version v%d apparaît deux fois", path, n+1, v)
		}
		secrets[v] = s
	}
	if len(secrets) == 0 {
		return nil, sillage.Errorf(sillage.KindInvalid, "fichier de la clé de chiffrement %s : aucune clé", path)
	}
	return New(secrets)
}

// LoadOrCreate reads the key file at path, creating it (one random key,
// version 1, mode 0600, its folder 0700) when it does not exist. The file
// is written and synced under a temporary name, then hard-linked to path,
// which fails if path exists: a crash leaves no half-written key, and of
// several processes starting at once exactly one creates it.
func LoadOrCreate(path string) (*Box, error) {
	if _, err := os.Lstat(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return Load(path)
	}
	box, err := create(path, 1)
	if errors.Is(err, fs.ErrExist) {
		return Load(path) // another process created it meanwhile
	}
	return box, err
}

// Create writes a new key file at path holding one random key of the given
// version (a replacement of a lost key starts above the versions it
// replaces), and refuses when path exists.
func Create(path string, version int) (*Box, error) {
	box, err := create(path, version)
	if errors.Is(err, fs.ErrExist) {
		return nil, sillage.Errorf(sillage.KindConflict, "le fichier de la clé de chiffrement %s existe déjà : il n'est jamais remplacé", path)
	}
	return box, err
}

func create(path string, version int) (*Box, error) {
	secret := make([]byte, keySize)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	content := keyFileHeader + "v" + strconv.Itoa(version) + " " + base64.StdEncoding.EncodeToString(secret) + "\n"
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dossier de la clé de chiffrement %s : %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".secrets-key-*")
	if err != nil {
		return nil, fmt.Errorf("création de la clé de chiffrement %s : %w", path, err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(content)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("création de la clé de chiffrement %s : %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		return nil, fmt.Errorf("création de la clé de chiffrement %s : %w", path, err)
	}
	return Load(path)
}

// Fingerprints returns each version's fingerprint, in hex, as the key
// registry keeps them (HMAC-SHA256 of ident.FingerprintLabel under the
// secret): never a secret.
func (b *Box) Fingerprints() map[int]string {
	out := make(map[int]string, len(b.secrets))
	for v, s := range b.secrets {
		mac := hmac.New(sha256.New, s)
		mac.Write([]byte(ident.FingerprintLabel))
		out[v] = hex.EncodeToString(mac.Sum(nil))
	}
	return out
}
