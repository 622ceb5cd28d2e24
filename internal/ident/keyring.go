package ident

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
)

// MinKeySize is the smallest secret accepted, in bytes (transfer.md §2).
const MinKeySize = 32

// ErrNoKey says that no unqid can be computed: the import stops.
var ErrNoKey = sillage.Errorf(sillage.KindUnavailable,
	"clé d'identification absente : sans elle aucun unqid ne peut être calculé, l'import s'arrête")

// unqidEncoding is standard base32, upper case, without padding.
var unqidEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// key is one version of the instance's secret. The secret lives only in the
// closure of newMAC: should fmt ever walk a Keyring through reflection (an
// unexported field of some other type, a wrong verb), it prints a function
// address, never key bytes.
type key struct {
	version int
	newMAC  func() hash.Hash
}

func newKey(version int, secret []byte) *key {
	secret = bytes.Clone(secret)
	return &key{version: version, newMAC: func() hash.Hash { return hmac.New(sha256.New, secret) }}
}

// Keyring holds the versioned secrets of the instance. The newest version
// computes new unqids; every version is kept so that entries made under an
// older key still match during a rotation (transfer.md §2). A Keyring is
// immutable and safe for concurrent use. Its printed forms never show a key.
type Keyring struct {
	keys []*key // ascending versions
}

// NewKeyring returns a keyring of the given secrets, by version (≥ 1).
func NewKeyring(secrets map[int][]byte) (Keyring, error) {
	if len(secrets) == 0 {
		return Keyring{}, sillage.Errorf(sillage.KindInvalid, "aucune clé d'identification fournie")
	}
	var kr Keyring
	for version, secret := range secrets {
		if version < 1 {
			return Keyring{}, sillage.Errorf(sillage.KindInvalid, "version de clé v%d invalide : les versions commencent à v1", version)
		}
		if len(secret) < MinKeySize {
			return Keyring{}, sillage.Errorf(sillage.KindInvalid, "la clé v%d ne fait que %d octets : %d octets aléatoires au moins sont exigés", version, len(secret), MinKeySize)
		}
		kr.keys = append(kr.keys, newKey(version, secret))
	}
	slices.SortFunc(kr.keys, func(a, b *key) int { return a.version - b.version })
	return kr, nil
}

// Version returns the newest version, the one Unqid uses (0 for an empty keyring).
func (kr Keyring) Version() int {
	if len(kr.keys) == 0 {
		return 0
	}
	return kr.keys[len(kr.keys)-1].version
}

// Versions returns every version held, oldest first.
func (kr Keyring) Versions() []int {
	vs := make([]int, len(kr.keys))
	for i, k := range kr.keys {
		vs[i] = k.version
	}
	return vs
}

// Unqid returns the pseudonymous id of ine under the newest key:
// "v<version>:" + base32(HMAC-SHA256(key, "ine:" + INE)). The INE is
// normalised and checked first: a malformed INE gets no unqid.
func (kr Keyring) Unqid(ine INE) (string, error) {
	if len(kr.keys) == 0 {
		return "", ErrNoKey
	}
	norm, _, err := ine.Check()
	if err != nil {
		return "", err
	}
	return kr.keys[len(kr.keys)-1].unqid(norm.Value()), nil
}

// Unqids returns the unqid of ine under every key, newest first, so that an
// index entry made under an older key is still found during a rotation.
func (kr Keyring) Unqids(ine INE) ([]string, error) {
	if len(kr.keys) == 0 {
		return nil, ErrNoKey
	}
	norm, _, err := ine.Check()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(kr.keys))
	for i := len(kr.keys) - 1; i >= 0; i-- {
		out = append(out, kr.keys[i].unqid(norm.Value()))
	}
	return out, nil
}

func (k *key) unqid(ine string) string {
	mac := k.newMAC()
	mac.Write([]byte("ine:"))
	mac.Write([]byte(ine))
	return "v" + strconv.Itoa(k.version) + ":" + unqidEncoding.EncodeToString(mac.Sum(nil))
}

// MAC returns HMAC-SHA256 of label and msg under the given key version, or
// false when the keyring does not hold it. Other secrets of the instance
// (the audit chain's key, the checkpoint signing seed) share the key file
// format and use this with their own label, so no secret leaves the keyring.
func (kr Keyring) MAC(version int, label string, msg []byte) ([]byte, bool) {
	for _, k := range kr.keys {
		if k.version == version {
			mac := k.newMAC()
			mac.Write([]byte(label))
			mac.Write([]byte{0})
			mac.Write(msg)
			return mac.Sum(nil), true
		}
	}
	return nil, false
}

// FingerprintLabel is what a key's fingerprint is the HMAC of. The
// fingerprint identifies a key version in the database (internal/keyreg)
// without revealing it: HMAC-SHA256 is a PRF, so its output on a public
// label says nothing of the key.
const FingerprintLabel = "sillage:empreinte-de-cle:v1"

// Fingerprints returns the fingerprint of every version, in hex:
// HMAC-SHA256(key, FingerprintLabel). Never the key.
func (kr Keyring) Fingerprints() map[int]string {
	out := make(map[int]string, len(kr.keys))
	for _, k := range kr.keys {
		mac := k.newMAC()
		mac.Write([]byte(FingerprintLabel))
		out[k.version] = hex.EncodeToString(mac.Sum(nil))
	}
	return out
}

// UnqidVersion returns the key version an unqid was computed with.
func UnqidVersion(unqid string) (int, bool) {
	prefix, _, ok := strings.Cut(unqid, ":")
	if !ok || len(prefix) < 2 || prefix[0] != 'v' {
		return 0, false
	}
	v, err := strconv.Atoi(prefix[1:])
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

// String describes the keyring without its keys.
func (kr Keyring) String() string {
	names := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		names[i] = "v" + strconv.Itoa(k.version)
	}
	return "trousseau d'identification [" + strings.Join(names, " ") + "] (clés masquées)"
}

// GoString describes the keyring without its keys (%#v).
func (kr Keyring) GoString() string { return "ident.Keyring{" + kr.String() + "}" }

// Format prints the description for every verb: no verb shows a key.
func (kr Keyring) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, kr.GoString())
		return
	}
	io.WriteString(f, kr.String())
}

// ParseKeyFile reads the key file format: one line per version,
// "v<N> <key in standard base64>"; blank lines and lines starting with "#"
// are ignored. Errors name the line, never the key.
func ParseKeyFile(data []byte) (Keyring, error) {
	secrets := make(map[int][]byte)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		version, secret, err := parseKeyLine(line)
		if err != nil {
			return Keyring{}, sillage.Errorf(sillage.KindInvalid, "ligne %d : %s", n, err)
		}
		if _, dup := secrets[version]; dup {
			return Keyring{}, sillage.Errorf(sillage.KindInvalid, "ligne %d : la version v%d apparaît deux fois", n, version)
		}
		secrets[version] = secret
	}
	if err := sc.Err(); err != nil {
		return Keyring{}, sillage.Errorf(sillage.KindInvalid, "lecture impossible : %v", err)
	}
	if len(secrets) == 0 {
		return Keyring{}, ErrNoKey
	}
	return NewKeyring(secrets)
}

func parseKeyLine(line string) (int, []byte, error) {
	fields := strings.Fields(line)
	if len(fields) != 2 || len(fields[0]) < 2 || fields[0][0] != 'v' {
		return 0, nil, errors.New("format attendu « v<N> <clé en base64> »")
	}
	version, err := strconv.Atoi(fields[0][1:])
	if err != nil || version < 1 {
		return 0, nil, errors.New("version invalide : « v1 », « v2 »… attendu")
	}
	secret, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		secret, err = base64.RawStdEncoding.DecodeString(fields[1])
	}
	if err != nil {
		return 0, nil, fmt.Errorf("la clé v%d n'est pas du base64 valide", version)
	}
	if len(secret) < MinKeySize {
		return 0, nil, fmt.Errorf("la clé v%d ne fait que %d octets : %d octets aléatoires au moins sont exigés", version, len(secret), MinKeySize)
	}
	return version, secret, nil
}

// Load reads the key file at path. It refuses a file readable or writable
// by the group or others (the mode must be 0600 or stricter), and reports a
// missing file as ErrNoKey.
func Load(path string) (Keyring, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Keyring{}, fmt.Errorf("fichier de clé %s introuvable : %w", path, ErrNoKey)
	}
	if err != nil {
		return Keyring{}, fmt.Errorf("ouverture du fichier de clé %s : %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Keyring{}, fmt.Errorf("fichier de clé %s : %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return Keyring{}, sillage.Errorf(sillage.KindInvalid, "%s n'est pas un fichier ordinaire : le fichier de clé doit en être un", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return Keyring{}, sillage.Errorf(sillage.KindInvalid,
			"le fichier de clé %s est accessible au groupe ou aux autres utilisateurs (droits %04o) : ses droits doivent être 0600 ou plus stricts (chmod 600 %s)",
			path, perm, path)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return Keyring{}, fmt.Errorf("lecture du fichier de clé %s : %w", path, err)
	}
	kr, err := ParseKeyFile(data)
	if err != nil {
		return Keyring{}, fmt.Errorf("fichier de clé %s : %w", path, err)
	}
	return kr, nil
}

// keyFileHeader opens every key file we create: the operator reads it.
const keyFileHeader = `# Clé d'identification de Sillage : calcule les unqid (empreintes des INE).
# Sauvegardez ce fichier : sans lui, les élèves ne peuvent plus être
# reconnus d'un établissement à l'autre. Ne le communiquez jamais.
# Format : une ligne par version, « v<N> <clé en base64> » ; la plus haute sert.
`

// LoadOrCreate reads the key file at path, creating it with one random key
// (version 1, mode 0600) when it does not exist. Creation is atomic and
// exclusive: the file is written and synced under a temporary name, then
// hard-linked to path, which fails if path exists. So a crash never leaves a
// half-written key, and when several processes start at once exactly one
// key is created and all of them end up using it.
func LoadOrCreate(path string) (Keyring, error) {
	return LoadOrCreateWithHeader(path, keyFileHeader)
}

// LoadOrCreateWithHeader is LoadOrCreate for another key of the instance
// kept in the same format: header (comment lines) opens a created file.
func LoadOrCreateWithHeader(path, header string) (Keyring, error) {
	kr, err := Load(path)
	if !errors.Is(err, ErrNoKey) {
		return kr, err
	}
	if fileExists(path) {
		// Created by another process since (or a file without a key:
		// Load says so again).
		return Load(path)
	}
	if err := create(path, header, 1); err != nil && !errors.Is(err, fs.ErrExist) {
		return Keyring{}, err
	}
	// Whoever won the race, the file now holds the key everyone uses.
	return Load(path)
}

// Create writes a new key file at path holding one random key of the
// given version (≥ 1), and refuses when the file exists: it never replaces
// a key. The version is above 1 when a lost key is replaced deliberately,
// so that the new unqids never share a prefix with the old ones.
func Create(path string, version int) (Keyring, error) {
	if version < 1 {
		return Keyring{}, sillage.Errorf(sillage.KindInvalid, "version de clé v%d invalide : les versions commencent à v1", version)
	}
	if err := create(path, keyFileHeader, version); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return Keyring{}, sillage.Errorf(sillage.KindConflict, "le fichier de clé %s existe déjà : il n'est jamais remplacé", path)
		}
		return Keyring{}, err
	}
	return Load(path)
}

// FileExists reports whether something exists at path (a key file that
// cannot be read is not a missing one).
func FileExists(path string) bool { return fileExists(path) }

func create(path, header string, version int) error {
	secret, err := newSecret()
	if err != nil {
		return err
	}
	return createExclusive(path, []byte(header+keyLine(version, secret)))
}

// Rotate adds a new key version to the key file at path and returns the
// new keyring. The file is rewritten atomically (temporary file, sync,
// rename); a lock file refuses a second rotation running at the same time,
// which would otherwise lose one of the two new keys.
func Rotate(path string) (Keyring, error) {
	lock := path + ".lock"
	lf, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return Keyring{}, sillage.Errorf(sillage.KindConflict,
			"une rotation de clé est déjà en cours (%s existe) ; si aucune ne tourne, supprimez ce fichier et recommencez", lock)
	}
	if err != nil {
		return Keyring{}, fmt.Errorf("verrou de rotation %s : %w", lock, err)
	}
	lf.Close()
	defer os.Remove(lock)

	kr, err := Load(path)
	if err != nil {
		return Keyring{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Keyring{}, fmt.Errorf("lecture du fichier de clé %s : %w", path, err)
	}
	secret, err := newSecret()
	if err != nil {
		return Keyring{}, err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, keyLine(kr.Version()+1, secret)...)
	next, err := ParseKeyFile(data)
	if err != nil {
		return Keyring{}, fmt.Errorf("fichier de clé %s : %w", path, err)
	}
	if err := replaceAtomic(path, data); err != nil {
		return Keyring{}, err
	}
	return next, nil
}

func keyLine(version int, secret []byte) string {
	return "v" + strconv.Itoa(version) + " " + base64.StdEncoding.EncodeToString(secret) + "\n"
}

func newSecret() ([]byte, error) {
	secret := make([]byte, MinKeySize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("tirage d'une clé aléatoire : %w", err)
	}
	return secret, nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// writeTemp writes data to a new file of mode 0600 in dir, synced, and
// returns its name.
func writeTemp(dir string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("création du dossier %s : %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".sillage-key-*") // mode 0600
	if err != nil {
		return "", fmt.Errorf("écriture du fichier de clé dans %s : %w", dir, err)
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("écriture du fichier de clé %s : %w", name, err)
	}
	return name, nil
}

// createExclusive makes data appear at path whole, or not at all, and
// fails with fs.ErrExist when path already exists. A hard link is the
// portable "rename unless the target exists".
func createExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("création du fichier de clé %s : %w", path, err)
	}
	return syncDir(dir)
}

// replaceAtomic replaces path with data: readers see the old file or the
// new one, never a mix.
func replaceAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("remplacement du fichier de clé %s : %w", path, err)
	}
	return syncDir(dir)
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("synchronisation du dossier %s : %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("synchronisation du dossier %s : %w", dir, err)
	}
	return nil
}
