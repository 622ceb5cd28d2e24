package blob

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sillage/sillage"
)

// CheckDir tells whether dir can take new data now: a file can be created,
// written, synced and removed there, and its file system has at least
// minFree bytes free (0: no minimum). /readyz asks it of the data
// directory and of the database's folder.
func CheckDir(dir string, minFree int64) error {
	f, err := os.CreateTemp(dir, ".sillage-ready-*")
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le dossier %s n'est pas accessible en écriture", dir))
	}
	name := f.Name()
	_, err = f.Write([]byte("ok"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("écriture impossible dans le dossier %s", dir))
	}
	if minFree <= 0 {
		return nil
	}
	free, err := freeSpace(dir)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("place libre du dossier %s inconnue", dir))
	}
	if free >= 0 && free < minFree {
		return sillage.Errorf(sillage.KindUnavailable, "le dossier %s n'a plus que %s de libre (minimum : %s, SILLAGE_MIN_FREE_SPACE)",
			dir, sillage.FormatSize(free), sillage.FormatSize(minFree))
	}
	return nil
}

// Check is CheckDir on the store's own folder (its temporary files' one,
// where every file is written first).
func (s *Local) Check(minFree int64) error {
	return CheckDir(filepath.Join(s.dir, "tmp"), minFree)
}
