package backup

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/scratch"
	"github.com/sillage/sillage/internal/store"
)

// Target is where a backup is restored: a new instance.
type Target struct {
	DSN     store.DSN
	BlobDir string
	Keys    map[string]string // registry name → key file to write
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Meta         *Meta
	BlobsCopied  int // files written to the blob store
	BlobsPresent int // files already there (identical: content-addressed)
	BlobsMissing int // listed in the backup, found neither in it nor in the blob store
	KeysWritten  []string
}

// Restore checks the backup at src, then writes its key files, its files
// and, last, its database into target. It refuses a target database that
// is not empty and a key file that exists with another content, changing
// nothing. Each step is idempotent and the database step is atomic (a
// rename, or pg_restore in one transaction), so a restore interrupted
// before its end is simply run again.
func Restore(ctx context.Context, src string, target Target) (*RestoreReport, error) {
	meta, err := Verify(src)
	if err != nil {
		return nil, err
	}
	if meta.Engine != target.DSN.Kind {
		return nil, sillage.Errorf(sillage.KindInvalid,
			"la sauvegarde est celle d'une base %s, la base cible est %s : restaurez vers le même moteur (SILLAGE_DB)", meta.Engine, target.DSN.Kind)
	}
	if err := checkTargetEmpty(ctx, target.DSN); err != nil {
		return nil, err
	}
	rep := &RestoreReport{Meta: meta}
	// Keys first: refused before anything is written if one differs.
	for name, rel := range meta.KeyFiles {
		dst, ok := target.Keys[name]
		if !ok {
			return nil, sillage.Errorf(sillage.KindInvalid, "la sauvegarde contient la clé « %s », que cette version de Sillage ne sait pas où écrire", name)
		}
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		if cur, err := os.ReadFile(dst); err == nil && !bytes.Equal(cur, data) {
			return nil, sillage.Errorf(sillage.KindConflict,
				"un autre fichier de clé existe déjà à %s : restaurez vers une instance neuve, ou déplacez ce fichier s'il n'appartient à aucune base", dst)
		}
	}
	for name, rel := range meta.KeyFiles {
		dst := target.Keys[name]
		if _, err := os.Stat(dst); err == nil {
			continue // identical, checked above
		}
		data, _ := os.ReadFile(filepath.Join(src, filepath.FromSlash(rel)))
		if err := writeAtomic(dst, data, 0o600); err != nil {
			return nil, fmt.Errorf("écriture du fichier de clé %s : %w", dst, err)
		}
		rep.KeysWritten = append(rep.KeysWritten, dst)
	}

	// Files: content-addressed, so one already present is the same.
	list, err := os.Open(filepath.Join(src, BlobListFile))
	if err != nil {
		return nil, err
	}
	defer list.Close()
	// Files are written in a temporary folder of the blob store that
	// blob.Open sweeps if this process dies, then renamed into place.
	var tmpDir *scratch.Dir
	defer func() { tmpDir.Close() }()
	sc := bufio.NewScanner(list)
	for sc.Scan() {
		sum, rel, ok := strings.Cut(sc.Text(), "  ")
		if !ok || !validSum(sum) || rel != blobPath(sum) {
			return nil, sillage.Errorf(sillage.KindInvalid, "%s : ligne mal formée", BlobListFile)
		}
		dst := filepath.Join(target.BlobDir, filepath.FromSlash(rel))
		if _, err := os.Stat(dst); err == nil {
			rep.BlobsPresent++
			continue
		}
		if !meta.BlobsCopied {
			rep.BlobsMissing++
			continue
		}
		if tmpDir == nil {
			if tmpDir, err = scratch.New(filepath.Join(target.BlobDir, "tmp"), blob.ScratchPrefix); err != nil {
				return nil, err
			}
		}
		tmp := filepath.Join(tmpDir.Path, sum)
		_, got, err := copyFile(filepath.Join(src, BlobsDir, filepath.FromSlash(rel)), tmp, 0o640)
		if err != nil {
			return nil, err
		}
		if got != sum {
			os.Remove(tmp)
			return nil, sillage.Errorf(sillage.KindInvalid, "sauvegarde altérée : le fichier %s ne correspond plus à son empreinte", rel)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return nil, err
		}
		if err := syncFile(tmp); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return nil, err
		}
		rep.BlobsCopied++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if rep.BlobsMissing > 0 {
		return rep, sillage.Errorf(sillage.KindUnavailable,
			"%d fichier(s) de la liste %s manquent dans %s : la sauvegarde a été faite sans les fichiers (--skip-blobs) ; copiez-les d'abord (rsync) puis relancez la restauration",
			rep.BlobsMissing, BlobListFile, target.BlobDir)
	}

	// The database, last and at once.
	switch meta.Engine {
	case store.SQLite:
		if err := os.MkdirAll(filepath.Dir(target.DSN.Path), 0o750); err != nil {
			return nil, err
		}
		tmp := target.DSN.Path + ".restauration"
		if _, _, err := copyFile(filepath.Join(src, meta.Database), tmp, 0o640); err != nil {
			return nil, err
		}
		if err := syncFile(tmp); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, target.DSN.Path); err != nil {
			return nil, err
		}
		if err := syncDir(filepath.Dir(target.DSN.Path)); err != nil {
			return nil, err
		}
	case store.Postgres:
		tool, err := target.DSN.PGTool()
		if err != nil {
			return nil, err
		}
		if tool.Schema != meta.Schema {
			return nil, sillage.Errorf(sillage.KindInvalid,
				"la sauvegarde contient le schéma PostgreSQL « %s », la base cible utilise « %s » (paramètre search_path de SILLAGE_DB) : ils doivent être les mêmes",
				orPublic(meta.Schema), orPublic(tool.Schema))
		}
		args := []string{"--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--dbname=" + tool.URL, filepath.Join(src, meta.Database)}
		if err := runPGTool(ctx, "pg_restore", args, tool.Password); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func orPublic(s string) string {
	if s == "" {
		return "public"
	}
	return s
}

// checkTargetEmpty refuses to restore over a database in use.
func checkTargetEmpty(ctx context.Context, dsn store.DSN) error {
	if dsn.Kind == store.SQLite {
		if info, err := os.Stat(dsn.Path); err == nil && info.Size() > 0 {
			return sillage.Errorf(sillage.KindConflict,
				"la base cible %s existe déjà : une restauration se fait vers une instance neuve (déplacez l'ancienne base si elle doit être remplacée)", dsn.Path)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	st, err := store.Open(ctx, dsn, store.Options{NoMigrate: true, MaxConns: 1})
	if err != nil {
		return err
	}
	defer st.Close()
	empty, err := st.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return sillage.Errorf(sillage.KindConflict,
			"la base cible %s contient déjà une instance de Sillage : une restauration se fait vers une base vide (createdb)", dsn)
	}
	return nil
}

// writeAtomic writes data at path whole or not at all.
func writeAtomic(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".restauration"
	if err := os.WriteFile(tmp, data, perm); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
