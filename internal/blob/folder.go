package blob

import (
	"io/fs"
	"os"
	"path"
	"syscall"
)

// folder is one folder of the store held open, so that each of its files
// is reached by one name and one system call: an os.Root opens and closes
// every folder of a path again for each file (sha256/ab/… is three opens
// and two closes, a rename between tmp/p-…/ and sha256/ab/ eight), which
// was a sixth of the changeover's archive step. The names given to a
// folder are single names checked by the store (a SHA-256 in hex, a random
// temporary name, two hex digits): no separator, so nothing is looked up
// outside the folder. On Unix systems the last name is never followed as a
// symbolic link; elsewhere the os.Root follows links that stay inside it.
type folder struct {
	root *os.Root // the store's root, for the systems without *at calls
	rel  string   // the folder's path in the root
	dir  *os.File // the open folder: its descriptor, and its sync
}

// openFolder opens a folder of the root the store made itself when it
// opened (tmp/p-…, sha256/).
func openFolder(root *os.Root, rel string) (folder, error) {
	d, err := root.Open(rel)
	if err != nil {
		return folder{}, err
	}
	if info, err := d.Stat(); err != nil || !info.IsDir() {
		d.Close()
		if err == nil {
			err = &fs.PathError{Op: "open", Path: rel, Err: syscall.ENOTDIR}
		}
		return folder{}, err
	}
	return folder{root: root, rel: rel, dir: d}, nil
}

// sync flushes the folder itself: the names it holds.
func (f folder) sync() error { return f.dir.Sync() }

func (f folder) close() error {
	if f.dir == nil {
		return nil
	}
	return f.dir.Close()
}

func (f folder) path(name string) string { return path.Join(f.rel, name) }
