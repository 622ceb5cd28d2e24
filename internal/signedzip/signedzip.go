// Package signedzip writes and verifies ZIP archives signed by a Sillage
// instance: every file of the archive is listed in MANIFEST.json (name,
// size, SHA-256) with what the archive is for, who issued it and when, and
// MANIFEST.sig is a signing.Envelope over the manifest's exact bytes.
//
// Anyone holding the issuer's public keys (the instance's published
// description) can check an archive offline: the signature covers the
// manifest, the manifest covers every byte of every file, and nothing may
// be added to or removed from the archive. The manifest digest (SHA-256 of
// the manifest's bytes) names an archive's content in receipts and logs.
//
// Verification reads the central directory first and refuses an archive
// shaped like a bomb before decompressing anything; every entry is then
// read through a limit equal to the size the signed manifest declares.
package signedzip

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/zipcheck"
)

// Names of the two entries that make an archive verifiable.
const (
	ManifestName  = "MANIFEST.json"
	SignatureName = "MANIFEST.sig"
)

// Format and Version name the manifest's layout.
const (
	Format  = "sillage-signed-zip"
	Version = 1
)

// Purposes of the archives Sillage signs.
const (
	PurposePassport          = "passport"
	PurposeFederationPackage = "federation-package"
)

// envelopePurpose binds the manifest's signature to signed archives: a
// manifest's signature can never be taken for a federation message.
func envelopePurpose(purpose string) string { return "signed-zip:" + purpose }

// Issuer names the instance that signed an archive.
type Issuer struct {
	ID  string `json:"id"`
	URL string `json:"url,omitempty"`
}

// Meta is what the issuer declares about an archive.
type Meta struct {
	Purpose  string    // e.g. PurposePassport
	Issuer   Issuer    // the signing instance
	IssuedAt time.Time // from the instance's clock
}

// Entry is one file as the manifest lists it.
type Entry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// Manifest is MANIFEST.json. Its bytes are canonical: json.Marshal of
// this struct, files in the order written.
type Manifest struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Purpose  string    `json:"purpose"`
	Issuer   Issuer    `json:"issuer"`
	IssuedAt time.Time `json:"issued_at"`
	Files    []Entry   `json:"files"`

	// Digest is the hex SHA-256 of the manifest's bytes (not in them).
	Digest string `json:"-"`
	// KeyID is the fingerprint of the key that signed (not in them).
	KeyID string `json:"-"`
}

// File is one file to write: its content, or a function that opens it
// (read once, streamed into the archive; called in order, after the
// files before it are written; ErrSkip leaves the file out).
type File struct {
	Name     string
	Content  []byte
	Open     func() (io.ReadCloser, error)
	Modified time.Time // shown by archive tools; zero means IssuedAt
	Store    bool      // stored without compression (already compressed content)
}

// Limits bound what Verify accepts before reading any content.
type Limits struct {
	MaxEntries  int    // entries in the archive, manifest included
	MaxExpanded uint64 // sum of the declared uncompressed sizes
	MaxRatio    uint64 // uncompressed / compressed of any one entry
	MaxManifest int64  // bytes of MANIFEST.json or MANIFEST.sig
}

// DefaultLimits are the limits of attached files (internal/records), with
// a manifest of at most 8 MiB.
var DefaultLimits = Limits{MaxEntries: 5000, MaxExpanded: 1 << 30, MaxRatio: 200, MaxManifest: 8 << 20}

// Write writes a signed archive of files to w and returns its manifest.
// Files are streamed in order, then the manifest and its signature.
func Write(w io.Writer, s *signing.Signer, m Meta, files []File) (Manifest, error) {
	if s == nil {
		return Manifest{}, sillage.Errorf(sillage.KindUnavailable, "clé de signature de l'instance absente : l'archive ne peut pas être signée")
	}
	if m.Purpose == "" {
		return Manifest{}, fmt.Errorf("signedzip: no purpose")
	}
	man := Manifest{Format: Format, Version: Version, Purpose: m.Purpose, Issuer: m.Issuer,
		IssuedAt: m.IssuedAt.UTC().Truncate(time.Second), Files: []Entry{}}
	seen := map[string]bool{ManifestName: true, SignatureName: true}
	zw := zip.NewWriter(w)
	for _, f := range files {
		if err := checkName(f.Name); err != nil {
			return Manifest{}, fmt.Errorf("signedzip: %w", err)
		}
		if seen[f.Name] {
			return Manifest{}, fmt.Errorf("signedzip: file %q written twice or reserved", f.Name)
		}
		seen[f.Name] = true
		e, skipped, err := writeFile(zw, f, man.IssuedAt)
		if err != nil {
			return Manifest{}, err
		}
		if !skipped {
			man.Files = append(man.Files, e)
		}
	}
	raw, err := json.Marshal(man)
	if err != nil {
		return Manifest{}, fmt.Errorf("signedzip: encode manifest: %w", err)
	}
	env := signing.Envelope{Purpose: envelopePurpose(m.Purpose), Payload: raw, Signature: s.Sign(envelopePurpose(m.Purpose), raw)}
	sig, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("signedzip: encode signature: %w", err)
	}
	for _, e := range []struct {
		name string
		data []byte
	}{{ManifestName, raw}, {SignatureName, sig}} {
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: man.IssuedAt})
		if err != nil {
			return Manifest{}, fmt.Errorf("signedzip: %s: %w", e.name, err)
		}
		if _, err := ew.Write(e.data); err != nil {
			return Manifest{}, fmt.Errorf("signedzip: %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("signedzip: close: %w", err)
	}
	man.Digest = digest(raw)
	man.KeyID = env.Signature.KeyID
	return man, nil
}

// ErrSkip, returned by a File's Open, leaves the file out of the archive
// (and of its manifest): a file found missing only when it is read.
var ErrSkip = errors.New("signedzip: file skipped")

// writeFile writes one file; skipped is true when its Open said ErrSkip.
func writeFile(zw *zip.Writer, f File, issued time.Time) (e Entry, skipped bool, err error) {
	var src io.Reader = bytes.NewReader(f.Content)
	if f.Open != nil {
		rc, err := f.Open()
		if errors.Is(err, ErrSkip) {
			return Entry{}, true, nil
		}
		if err != nil {
			return Entry{}, false, fmt.Errorf("signedzip: open %s: %w", f.Name, err)
		}
		defer rc.Close()
		// Hide WriterTo so that io.Copy's one buffer is used.
		src = struct{ io.Reader }{rc}
	}
	method := zip.Deflate
	if f.Store {
		method = zip.Store
	}
	mod := f.Modified
	if mod.IsZero() {
		mod = issued
	}
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method, Modified: mod.UTC()})
	if err != nil {
		return Entry{}, false, fmt.Errorf("signedzip: %s: %w", f.Name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(ew, h), src)
	if err != nil {
		return Entry{}, false, fmt.Errorf("signedzip: write %s: %w", f.Name, err)
	}
	return Entry{Name: f.Name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, false, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkName refuses names that would land outside the folder an archive
// is extracted to, or that cannot be shown.
func checkName(name string) error {
	n := strings.ReplaceAll(name, `\`, "/")
	switch {
	case name == "" || !utf8.ValidString(name) || len(name) > 1024:
		return refuse("nom d'entrée vide, trop long ou illisible")
	case strings.HasPrefix(n, "/") || len(n) > 1 && n[1] == ':' || strings.HasSuffix(n, "/"):
		return refuse("l'entrée %s n'est pas un fichier de l'archive", quote(name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return refuse("l'entrée %s contient un caractère de contrôle", quote(name))
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." || part == "." || part == "" {
			return refuse("l'entrée %s désigne un chemin hors de l'archive", quote(name))
		}
	}
	return nil
}

// refuse is a refusal of Verify: errors.Is(err, sillage.ErrInvalid) holds
// for every one, and the message says which check failed, in French.
func refuse(format string, args ...any) error {
	return sillage.Errorf(sillage.KindInvalid, format, args...)
}

func quote(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return "« " + s + " »"
}

// Archive is a verified archive: its manifest, and its files readable by
// name (each read is checked against the manifest again).
type Archive struct {
	Manifest Manifest
	files    map[string]*zip.File
}

// Verify checks the archive in r (size bytes) against keys with
// DefaultLimits and returns its manifest. The caller checks the purpose
// and the issuer it expects.
func Verify(r io.ReaderAt, size int64, keys []signing.PublicKey) (Manifest, error) {
	a, err := Open(r, size, keys, DefaultLimits)
	if err != nil {
		return Manifest{}, err
	}
	return a.Manifest, nil
}

// Open verifies the archive like Verify, under lim, and keeps it open for
// reading its files.
func Open(r io.ReaderAt, size int64, keys []signing.PublicKey, lim Limits) (*Archive, error) {
	if lim.MaxEntries > 0 {
		n, ok := directoryEntries(r, size, lim.MaxEntries)
		if !ok {
			return nil, refuse("ce fichier n'est pas une archive ZIP lisible")
		}
		if n > lim.MaxEntries {
			return nil, refuse("plus de %d entrées dans l'archive", lim.MaxEntries)
		}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, refuse("ce fichier n'est pas une archive ZIP lisible")
	}
	if err := zipcheck.Check(r, size, zr); err != nil {
		return nil, refuse("%s", err.Error())
	}
	if lim.MaxEntries > 0 && len(zr.File) > lim.MaxEntries {
		return nil, refuse("%d entrées dans l'archive, au plus %d", len(zr.File), lim.MaxEntries)
	}
	byName := map[string]*zip.File{}
	var total uint64
	for _, f := range zr.File {
		if err := checkName(f.Name); err != nil {
			return nil, err
		}
		if byName[f.Name] != nil {
			return nil, refuse("l'entrée %s figure deux fois dans l'archive", quote(f.Name))
		}
		byName[f.Name] = f
		u, c := f.UncompressedSize64, f.CompressedSize64
		total += u
		if lim.MaxExpanded > 0 && (total > lim.MaxExpanded || u > lim.MaxExpanded) {
			return nil, refuse("contenu déclaré de plus de %s une fois décompressé", sillage.FormatSize(int64(lim.MaxExpanded)))
		}
		if u > 0 && c == 0 && f.Method != zip.Store || lim.MaxRatio > 0 && c > 0 && u/c > lim.MaxRatio {
			return nil, refuse("l'entrée %s se décompresse plus de %d fois : archive piégée (« bombe »)", quote(f.Name), lim.MaxRatio)
		}
	}
	sigFile, manFile := byName[SignatureName], byName[ManifestName]
	if manFile == nil {
		return nil, refuse("archive sans %s : elle n'a pas été signée par une instance Sillage", ManifestName)
	}
	if sigFile == nil {
		return nil, refuse("archive non signée (%s absent)", SignatureName)
	}
	raw, err := readAll(manFile, lim.MaxManifest)
	if err != nil {
		return nil, err
	}
	sigRaw, err := readAll(sigFile, lim.MaxManifest)
	if err != nil {
		return nil, err
	}
	var env signing.Envelope
	if err := json.Unmarshal(sigRaw, &env); err != nil {
		return nil, refuse("signature illisible (%s)", SignatureName)
	}
	if !bytes.Equal(env.Payload, raw) {
		return nil, refuse("la signature ne porte pas sur le manifeste de cette archive")
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		return nil, refuse("manifeste illisible : %s", quote(err.Error()))
	}
	if man.Format != Format || man.Version != Version {
		return nil, refuse("format de manifeste inconnu (%s version %d)", quote(man.Format), man.Version)
	}
	if man.Purpose == "" {
		return nil, refuse("manifeste sans objet")
	}
	if err := signing.Verify(keys, envelopePurpose(man.Purpose), raw, env.Signature); err != nil {
		return nil, err
	}
	if env.Purpose != envelopePurpose(man.Purpose) {
		return nil, refuse("signature d'un autre usage que l'archive")
	}
	man.Digest = digest(raw)
	man.KeyID = env.Signature.KeyID
	listed := map[string]bool{ManifestName: true, SignatureName: true}
	for _, e := range man.Files {
		if listed[e.Name] {
			return nil, refuse("le manifeste liste %s deux fois", quote(e.Name))
		}
		listed[e.Name] = true
		f := byName[e.Name]
		if f == nil {
			return nil, refuse("le fichier %s listé par le manifeste manque dans l'archive", quote(e.Name))
		}
		if err := checkEntry(f, e); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !listed[n] {
			return nil, refuse("le fichier %s a été ajouté à l'archive après sa signature", quote(n))
		}
	}
	return &Archive{Manifest: man, files: byName}, nil
}

// checkEntry reads f through a limit of its signed size and compares its
// bytes with the manifest's entry.
func checkEntry(f *zip.File, e Entry) error {
	rc, err := f.Open()
	if err != nil {
		return refuse("le fichier %s est illisible", quote(e.Name))
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rc, e.Size+1))
	if err != nil {
		return refuse("le fichier %s est illisible ou a été modifié", quote(e.Name))
	}
	if n != e.Size || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
		return refuse("le fichier %s a été modifié après la signature", quote(e.Name))
	}
	return nil
}

func readAll(f *zip.File, max int64) ([]byte, error) {
	if max > 0 && f.UncompressedSize64 > uint64(max) {
		return nil, refuse("%s dépasse %s", f.Name, sillage.FormatSize(max))
	}
	rc, err := f.Open()
	if err != nil {
		return nil, refuse("%s illisible", f.Name)
	}
	defer rc.Close()
	var r io.Reader = rc
	if max > 0 {
		r = io.LimitReader(rc, max+1)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, refuse("%s illisible", f.Name)
	}
	if max > 0 && int64(len(b)) > max {
		return nil, refuse("%s dépasse %s", f.Name, sillage.FormatSize(max))
	}
	return b, nil
}

// ReadFile returns a listed file's bytes, checked against the manifest.
func (a *Archive) ReadFile(name string) ([]byte, error) {
	i := slices.IndexFunc(a.Manifest.Files, func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return nil, sillage.Errorf(sillage.KindNotFound, "le fichier %s n'est pas dans l'archive", quote(name))
	}
	e := a.Manifest.Files[i]
	rc, err := a.files[name].Open()
	if err != nil {
		return nil, refuse("le fichier %s est illisible", quote(name))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, e.Size+1))
	if err != nil || int64(len(b)) != e.Size || digest(b) != e.SHA256 {
		return nil, refuse("le fichier %s a été modifié après la signature", quote(name))
	}
	return b, nil
}
