//go:build unix

package blob

import (
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The *at system calls, relative to the open folder.

func (f folder) fd() int { return int(f.dir.Fd()) }

// openat retries on EINTR as the os package does (network file systems).
func (f folder) openat(op, name string, flags int, perm uint32) (*os.File, error) {
	for {
		fd, err := unix.Openat(f.fd(), name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: op, Path: f.path(name), Err: err}
		}
		return os.NewFile(uintptr(fd), f.path(name)), nil
	}
}

// create makes a new file, refused when name exists.
func (f folder) create(name string) (*os.File, error) {
	return f.openat("create", name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o640)
}

func (f folder) open(name string) (*os.File, error) {
	return f.openat("open", name, unix.O_RDONLY, 0)
}

func (f folder) remove(name string) error {
	if err := unix.Unlinkat(f.fd(), name, 0); err != nil {
		return &fs.PathError{Op: "remove", Path: f.path(name), Err: err}
	}
	return nil
}

// touch sets the file's dates to t.
func (f folder) touch(name string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	if err := unix.UtimesNanoAt(f.fd(), name, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &fs.PathError{Op: "chtimes", Path: f.path(name), Err: err}
	}
	return nil
}

// renameInto moves name of f to to's folder as newName, replacing a file
// of that name.
func (f folder) renameInto(name string, to folder, newName string) error {
	if err := unix.Renameat(f.fd(), name, to.fd(), newName); err != nil {
		return &os.LinkError{Op: "rename", Old: f.path(name), New: to.path(newName), Err: err}
	}
	return nil
}
