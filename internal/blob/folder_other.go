//go:build !unix

package blob

import (
	"errors"
	"io/fs"
	"os"
	"time"
)

// Without the *at system calls: through the root, by path.

func (f folder) create(name string) (*os.File, error) {
	return f.root.OpenFile(f.path(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
}

func (f folder) open(name string) (*os.File, error) { return f.root.Open(f.path(name)) }

func (f folder) sub(name string, create bool) (folder, error) {
	if create {
		if err := f.root.Mkdir(f.path(name), 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			return folder{}, err
		}
	}
	return openFolder(f.root, f.path(name))
}

// removed: not known without the *at calls; the store never removes a
// fan-out folder itself.
func (f folder) removed() bool { return false }

func (f folder) remove(name string) error { return f.root.Remove(f.path(name)) }

func (f folder) isFile(name string) (bool, error) {
	info, err := f.root.Lstat(f.path(name))
	if err != nil {
		return false, err
	}
	return info.Mode().IsRegular(), nil
}

func (f folder) touch(name string, t time.Time) error { return f.root.Chtimes(f.path(name), t, t) }

func (f folder) renameInto(name string, to folder, newName string) error {
	return f.root.Rename(f.path(name), to.path(newName))
}
