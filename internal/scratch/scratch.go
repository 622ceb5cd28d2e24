// Package scratch gives a process temporary folders of its own, which the
// next process to start removes at once if their owner died, instead of a
// day later: a partial file of a killed run must not outlive it (it may
// hold INEs, and it takes room).
//
// Each folder NAME under a parent comes with a lock file NAME.lock that its
// owner holds locked (flock) for as long as it uses the folder. The kernel
// releases the lock when the owner dies, however it dies. Sweep removes the
// folders whose lock it can take, and the folders left without a lock
// file. The lock file is created and locked before the folder exists and
// removed after it is gone, so a folder in use is never swept.
package scratch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const lockSuffix = ".lock"

// Dir is a temporary folder owned by this process.
type Dir struct {
	Path string
	lock *os.File
}

// New creates a folder parent/prefix<random> owned by this process until
// Close.
func New(parent, prefix string) (*Dir, error) {
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return nil, fmt.Errorf("dossier temporaire %s : %w", parent, err)
	}
	for attempt := 0; attempt < 10; attempt++ {
		var b [8]byte
		rand.Read(b[:])
		name := filepath.Join(parent, prefix+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name+lockSuffix, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dossier temporaire %s : %w", parent, err)
		}
		locked, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("verrou du dossier temporaire %s : %w", name, err)
		}
		// A sweeper may have taken the new lock file between its creation
		// and our lock, and removed it: start again under another name.
		if canLock && (!locked || !samePath(f, name+lockSuffix)) {
			f.Close()
			continue
		}
		if err := os.Mkdir(name, 0o700); err != nil {
			os.Remove(name + lockSuffix)
			f.Close()
			return nil, fmt.Errorf("dossier temporaire %s : %w", name, err)
		}
		return &Dir{Path: name, lock: f}, nil
	}
	return nil, fmt.Errorf("dossier temporaire dans %s : impossible d'obtenir un nom libre", parent)
}

func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// Close removes the folder and gives up its lock.
func (d *Dir) Close() error {
	if d == nil || d.lock == nil {
		return nil
	}
	err := os.RemoveAll(d.Path)
	os.Remove(d.Path + lockSuffix)
	d.lock.Close()
	d.lock = nil
	return err
}

// Sweep removes, under parent, the folders of prefix whose owner is gone,
// with everything in them, and returns how many it removed. A missing
// parent is not an error.
func Sweep(parent, prefix string) (int, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	removed := 0
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		p := filepath.Join(parent, name)
		if lockName, ok := strings.CutSuffix(name, lockSuffix); ok && !e.IsDir() {
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				continue // removed meanwhile
			}
			locked, err := tryLock(f)
			if err == nil && locked {
				// The owner is gone: folder first, then its lock.
				dir := filepath.Join(parent, lockName)
				if _, err := os.Lstat(dir); err == nil {
					removed++
				}
				if err := os.RemoveAll(dir); err != nil {
					errs = append(errs, err)
				} else {
					os.Remove(p)
				}
			}
			f.Close()
			continue
		}
		if !e.IsDir() {
			continue
		}
		// A folder without its lock file: its sweeper died between the two
		// removals (the owner creates the lock first).
		if _, err := os.Lstat(p + lockSuffix); errors.Is(err, fs.ErrNotExist) {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			} else {
				removed++
			}
		}
	}
	return removed, errors.Join(errs...)
}
