// Package backup writes and restores a consistent copy of an instance: the
// database (SQLite through VACUUM INTO, PostgreSQL through pg_dump on an
// exported snapshot), the key files, and the files of the data directory,
// with a manifest of SHA-256 sums.
//
// Consistency: the database copy is one snapshot, WAL included. The files
// are content-addressed and never change, so copying them after the
// snapshot gives every file the snapshot references, unless the collector
// removed one in between (a file already unreferenced for its grace
// period): the backup then names it as missing. The key files are checked
// against the fingerprints the snapshot records (internal/keyreg): a
// backup never pairs a database with a key it was not built with.
//
// A backup is written under DEST.en-cours and renamed to DEST once whole:
// a killed backup never looks finished, and the next one removes its
// leftovers.
package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/store"
)

// Names inside a backup.
const (
	MetaFile     = "sauvegarde.json"
	SumsFile     = "SHA256SUMS"      // sha256sum -c format, every file of the backup
	BlobListFile = "fichiers.sha256" // the blobs the snapshot references, relative to the blob store
	SQLiteFile   = "base.sqlite"
	PGDumpFile   = "base.pgdump"
	KeysDir      = "cles"
	BlobsDir     = "fichiers"
	partSuffix   = ".en-cours"
)

// Key is a key file saved with the database, under its registry name.
type Key struct {
	Name string // registry name (keyreg.IDKey…)
	Path string // the key file
}

// Options describe the instance to save.
type Options struct {
	Store     *store.Store
	BlobDir   string // the content-addressed store (its sha256/ folder)
	Keys      []Key
	SkipBlobs bool // list the files without copying them (rsync them yourself)
	// Blobs, when set, is where the listed files are looked for instead of
	// BlobDir (an object store's bucket, which this command does not copy:
	// use SkipBlobs with it).
	Blobs blob.Store
	Clock sillage.Clock
	// AfterSnapshot, when set, runs once the database copy is taken and
	// before the files are copied (tests).
	AfterSnapshot func()
}

// Meta is sauvegarde.json.
type Meta struct {
	Format       int                 `json:"format"`
	At           time.Time           `json:"date"`
	Engine       store.Kind          `json:"moteur"`
	Database     string              `json:"base"` // file name inside the backup
	Schema       string              `json:"schema_postgresql,omitempty"`
	Migration    int64               `json:"migration"`
	Keys         map[string][]KeyRef `json:"cles"`
	KeyFiles     map[string]string   `json:"fichiers_de_cle"` // registry name → file inside the backup
	Blobs        int                 `json:"fichiers"`
	BlobBytes    int64               `json:"octets_fichiers"`
	BlobsCopied  bool                `json:"fichiers_copies"`
	MissingBlobs []string            `json:"fichiers_manquants,omitempty"`
	PGDump       string              `json:"pg_dump,omitempty"` // the command line, without credentials
}

// KeyRef is a key version the snapshot requires.
type KeyRef struct {
	Version     int    `json:"version"`
	Fingerprint string `json:"empreinte"`
}

// snapshotState is what the database copy says.
type snapshotState struct {
	refs      map[string]bool
	keys      map[string][]sillage.KeyVersion
	migration int64
}

// Create writes a backup of the instance to dest, which must not exist.
func Create(ctx context.Context, dest string, o Options) (*Meta, error) {
	if o.Clock == nil {
		o.Clock = sillage.SystemClock{}
	}
	dest = filepath.Clean(dest)
	if _, err := os.Lstat(dest); err == nil {
		return nil, sillage.Errorf(sillage.KindConflict, "%s existe déjà : choisissez un nouveau dossier pour la sauvegarde", dest)
	}
	part := dest + partSuffix
	// The leftovers of a killed backup: ours, never finished.
	if err := os.RemoveAll(part); err != nil {
		return nil, fmt.Errorf("suppression de la sauvegarde interrompue %s : %w", part, err)
	}
	if err := os.MkdirAll(part, 0o700); err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("création du dossier %s", part))
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(part)
		}
	}()
	st := o.Store
	meta := &Meta{Format: 1, At: o.Clock.Now().UTC(), Engine: st.Kind(), Keys: map[string][]KeyRef{}, KeyFiles: map[string]string{}}
	var snap *snapshotState
	var err error
	switch st.Kind() {
	case store.SQLite:
		meta.Database = SQLiteFile
		snap, err = snapshotSQLite(ctx, st, filepath.Join(part, SQLiteFile))
	case store.Postgres:
		meta.Database = PGDumpFile
		snap, err = snapshotPostgres(ctx, st, filepath.Join(part, PGDumpFile), meta)
	}
	if err != nil {
		return nil, err
	}
	meta.Migration = snap.migration
	if o.AfterSnapshot != nil {
		o.AfterSnapshot()
	}

	// Keys: the files must hold every version the snapshot requires.
	if err := os.MkdirAll(filepath.Join(part, KeysDir), 0o700); err != nil {
		return nil, err
	}
	for _, k := range o.Keys {
		required := slices.DeleteFunc(snap.keys[k.Name], func(v sillage.KeyVersion) bool { return v.Retired })
		for _, v := range required {
			meta.Keys[k.Name] = append(meta.Keys[k.Name], KeyRef{Version: v.Version, Fingerprint: v.Fingerprint})
		}
		data, err := os.ReadFile(k.Path)
		if errors.Is(err, fs.ErrNotExist) && len(required) == 0 {
			continue // nothing hashed yet: no key to save
		}
		if err != nil {
			return nil, fmt.Errorf("lecture du fichier de clé %s : %w", k.Path, err)
		}
		// Every key file of the instance has the INE key's format.
		kr, err := ident.ParseKeyFile(data)
		if err != nil {
			return nil, fmt.Errorf("fichier de clé %s : %w", k.Path, err)
		}
		have := kr.Fingerprints()
		for _, v := range required {
			if have[v.Version] != v.Fingerprint {
				return nil, sillage.Errorf(sillage.KindConflict,
					"sauvegarde refusée : le fichier %s ne contient pas %s v%d (empreinte %s) avec laquelle la base a été construite ; restaurez-le d'abord",
					k.Path, keyreg.Label(k.Name), v.Version, keyreg.Short(v.Fingerprint))
			}
		}
		name := filepath.Join(KeysDir, k.Name)
		if err := writeFile(filepath.Join(part, name), data, 0o600); err != nil {
			return nil, err
		}
		meta.KeyFiles[k.Name] = name
	}

	// Files: every blob present now (a superset of the snapshot's), then
	// the check that each referenced one was found.
	copied := map[string]int64{}
	if !o.SkipBlobs {
		if copied, err = copyBlobs(ctx, filepath.Join(o.BlobDir, "sha256"), filepath.Join(part, BlobsDir, "sha256")); err != nil {
			return nil, err
		}
		meta.BlobsCopied = true
	}
	var list strings.Builder
	refs := make([]string, 0, len(snap.refs))
	for sum := range snap.refs {
		if validSum(sum) {
			refs = append(refs, sum)
		}
	}
	sort.Strings(refs)
	for _, sum := range refs {
		size, ok := copied[sum]
		switch {
		case o.SkipBlobs && o.Blobs != nil:
			size, ok = storedSize(o.Blobs, sum)
		case o.SkipBlobs:
			info, err := os.Stat(filepath.Join(o.BlobDir, blobPath(sum)))
			ok = err == nil
			if ok {
				size = info.Size()
			}
		}
		if !ok {
			meta.MissingBlobs = append(meta.MissingBlobs, sum)
			continue
		}
		meta.Blobs++
		meta.BlobBytes += size
		fmt.Fprintf(&list, "%s  %s\n", sum, blobPath(sum))
	}
	if err := writeFile(filepath.Join(part, BlobListFile), []byte(list.String()), 0o600); err != nil {
		return nil, err
	}
	data, _ := json.MarshalIndent(meta, "", "  ")
	if err := writeFile(filepath.Join(part, MetaFile), append(data, '\n'), 0o600); err != nil {
		return nil, err
	}
	if err := writeSums(part); err != nil {
		return nil, err
	}
	if err := syncTree(part); err != nil {
		return nil, err
	}
	if err := os.Rename(part, dest); err != nil {
		return nil, fmt.Errorf("finalisation de la sauvegarde %s : %w", dest, err)
	}
	ok = true
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return nil, err
	}
	return meta, nil
}

// snapshotSQLite copies the database with VACUUM INTO and reads what the
// copy references.
func snapshotSQLite(ctx context.Context, st *store.Store, path string) (*snapshotState, error) {
	if err := st.VacuumInto(ctx, path); err != nil {
		return nil, err
	}
	cp, err := store.Open(ctx, store.DSN{Kind: store.SQLite, Path: path}, store.Options{NoMigrate: true, MaxConns: 1})
	if err != nil {
		return nil, err
	}
	snap, err := readSnapshot(ctx, cp, func(fn func(tx *store.Tx) error) error { return cp.Read(ctx, fn) })
	cp.Close()
	// The copy was opened in WAL mode: fold it back into one file.
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	return snap, err
}

// snapshotPostgres runs pg_dump on an exported snapshot and reads, in the
// same snapshot, what it references.
func snapshotPostgres(ctx context.Context, st *store.Store, path string, meta *Meta) (*snapshotState, error) {
	tool, err := st.DSN().PGTool()
	if err != nil {
		return nil, err
	}
	meta.Schema = tool.Schema
	var snap *snapshotState
	err = st.ExportSnapshot(ctx, func(tx *store.Tx, id string) error {
		args := []string{"--format=custom", "--no-owner", "--no-privileges", "--snapshot=" + id, "--file=" + path}
		if tool.Schema != "" {
			args = append(args, "--schema="+tool.Schema)
		}
		meta.PGDump = "pg_dump " + strings.Join(args[:3], " ") + " --snapshot=… --file=" + PGDumpFile
		if tool.Schema != "" {
			meta.PGDump += " --schema=" + tool.Schema
		}
		args = append(args, "--dbname="+tool.URL)
		if err := runPGTool(ctx, "pg_dump", args, tool.Password); err != nil {
			return err
		}
		var err error
		snap, err = readSnapshot(ctx, st, func(fn func(tx *store.Tx) error) error { return fn(tx) })
		return err
	})
	return snap, err
}

func readSnapshot(ctx context.Context, st *store.Store, read func(func(tx *store.Tx) error) error) (*snapshotState, error) {
	snap := &snapshotState{keys: map[string][]sillage.KeyVersion{}}
	err := read(func(tx *store.Tx) (err error) {
		if snap.refs, err = tx.CrossTenant().BlobRefs(ctx); err != nil {
			return err
		}
		snap.keys[keyreg.IDKey], err = tx.Keys().ListKeyVersions(ctx, keyreg.IDKey)
		return err
	})
	if err != nil {
		return nil, err
	}
	ms, err := st.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	snap.migration = ms.Current
	return snap, nil
}

// runPGTool runs pg_dump or pg_restore; the password goes through the
// environment, never the command line.
func runPGTool(ctx context.Context, name string, args []string, password string) error {
	if _, err := exec.LookPath(name); err != nil {
		return sillage.Errorf(sillage.KindUnavailable, "%s introuvable : installez les outils clients de PostgreSQL (paquet postgresql-client) de la même version que le serveur", name)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	dieWithParent(cmd)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+password)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 600 {
			msg = msg[:600] + "…"
		}
		return sillage.Errorf(sillage.KindUnavailable, "%s a échoué (%v) : %s", name, err, msg)
	}
	return nil
}

// copyBlobs copies every blob of src (…/sha256) to dst, checking each
// one's content against its name, and returns their sizes by sum.
func copyBlobs(ctx context.Context, src, dst string) (map[string]int64, error) {
	out := map[string]int64{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == src {
				return fs.SkipDir
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !validSum(d.Name()) {
			return nil
		}
		sum := d.Name()
		target := filepath.Join(dst, sum[:2], sum)
		size, got, err := copyFile(p, target, 0o640)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // collected meanwhile: checked against the snapshot later
		}
		if err != nil {
			return err
		}
		if got != sum {
			os.Remove(target)
			return sillage.Errorf(sillage.KindUnavailable, "le fichier %s du dossier des données est altéré (son contenu ne correspond plus à son empreinte) : sauvegarde arrêtée", p)
		}
		out[sum] = size
		return nil
	})
	return out, err
}

// copyFile copies src to dst (created, synced) and returns the size and
// SHA-256 of what it copied.
func copyFile(src, dst string, perm fs.FileMode) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, "", err
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("copie de %s : %w", src, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func writeFile(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, perm)
}

// writeSums writes SHA256SUMS: every file of the backup but itself, in
// the format of sha256sum, so `sha256sum -c SHA256SUMS` checks a backup
// without Sillage.
func writeSums(dir string) error {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == SumsFile {
			return nil
		}
		sum, err := fileSum(p)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(lines)
	return writeFile(filepath.Join(dir, SumsFile), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

func fileSum(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Verify checks every file of a backup against SHA256SUMS (none missing,
// none altered) and returns its description.
func Verify(src string) (*Meta, error) {
	f, err := os.Open(filepath.Join(src, SumsFile))
	if err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "%s n'est pas une sauvegarde de Sillage complète (%s absent)", src, SumsFile)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, rel, ok := strings.Cut(sc.Text(), "  ")
		if !ok || !validSum(sum) || rel == "" || strings.Contains(rel, "..") || filepath.IsAbs(rel) {
			return nil, sillage.Errorf(sillage.KindInvalid, "%s : ligne mal formée « %s »", SumsFile, sc.Text())
		}
		got, err := fileSum(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			return nil, sillage.Errorf(sillage.KindInvalid, "sauvegarde incomplète : %s manque", rel)
		}
		if got != sum {
			return nil, sillage.Errorf(sillage.KindInvalid, "sauvegarde altérée : le contenu de %s ne correspond plus à son empreinte", rel)
		}
		listed[rel] = true
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, need := range []string{MetaFile, BlobListFile} {
		if !listed[need] {
			return nil, sillage.Errorf(sillage.KindInvalid, "sauvegarde incomplète : %s manque", need)
		}
	}
	data, err := os.ReadFile(filepath.Join(src, MetaFile))
	if err != nil {
		return nil, err
	}
	var meta Meta
	if err := json.Unmarshal(data, &meta); err != nil || meta.Format != 1 {
		return nil, sillage.Errorf(sillage.KindInvalid, "%s illisible ou d'un format inconnu", MetaFile)
	}
	if !listed[meta.Database] {
		return nil, sillage.Errorf(sillage.KindInvalid, "sauvegarde incomplète : %s manque", meta.Database)
	}
	return &meta, nil
}

func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// blobPath is a blob's place relative to the blob store.
func blobPath(sum string) string { return "sha256/" + sum[:2] + "/" + sum }

// syncTree makes every file and folder under dir durable.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		return err
	})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// storedSize is the size of a blob of the store, false when it lacks it.
func storedSize(b blob.Store, sum string) (int64, bool) {
	f, err := b.Open(sum)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, false
	}
	return info.Size(), true
}
