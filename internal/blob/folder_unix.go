//go:build unix

package blob

import (
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The *at system calls, relative to the open folder. Each runs inside the
// folder's SyscallConn().Control, which holds its descriptor for the call:
// a Close of the store meanwhile makes the call fail, never act on a
// descriptor number reused by another file.

// at runs call with the folder's descriptor, again on EINTR (network file
// systems), as the os package does.
func (f folder) at(call func(fd int) error) error {
	rc, err := f.dir.SyscallConn()
	if err != nil {
		return os.ErrClosed
	}
	var callErr error
	err = rc.Control(func(fd uintptr) {
		for {
			if callErr = call(int(fd)); callErr != unix.EINTR {
				return
			}
		}
	})
	if err != nil {
		return os.ErrClosed // Control fails only on a closed file
	}
	return callErr
}

// removed reports whether the folder has been removed since it was opened
// (a removed folder has no link left).
func (f folder) removed() bool {
	var st unix.Stat_t
	err := f.at(func(dir int) error { return unix.Fstat(dir, &st) })
	return err == nil && st.Nlink == 0
}

func (f folder) openat(op, name string, flags int, perm uint32) (*os.File, error) {
	var file *os.File
	err := f.at(func(dir int) error {
		fd, err := unix.Openat(dir, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, perm)
		if err == nil {
			file = os.NewFile(uintptr(fd), f.path(name))
		}
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: f.path(name), Err: err}
	}
	return file, nil
}

// create makes a new file, refused when name exists.
func (f folder) create(name string) (*os.File, error) {
	return f.openat("create", name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL, 0o640)
}

func (f folder) open(name string) (*os.File, error) {
	return f.openat("open", name, unix.O_RDONLY, 0)
}

// sub opens the folder name inside f, made first when create is set.
func (f folder) sub(name string, create bool) (folder, error) {
	if create {
		err := f.at(func(dir int) error { return unix.Mkdirat(dir, name, 0o750) })
		if err != nil && err != unix.EEXIST {
			return folder{}, &fs.PathError{Op: "mkdir", Path: f.path(name), Err: err}
		}
	}
	// O_DIRECTORY: anything but a folder (a file, a FIFO that would block
	// the open) is refused at once.
	d, err := f.openat("open", name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return folder{}, err
	}
	return folder{root: f.root, rel: f.path(name), dir: d}, nil
}

func (f folder) remove(name string) error {
	if err := f.at(func(dir int) error { return unix.Unlinkat(dir, name, 0) }); err != nil {
		return &fs.PathError{Op: "remove", Path: f.path(name), Err: err}
	}
	return nil
}

// isFile reports whether name is a regular file of the folder (not a
// symbolic link); fs.ErrNotExist when there is nothing of that name.
func (f folder) isFile(name string) (bool, error) {
	var st unix.Stat_t
	if err := f.at(func(dir int) error { return unix.Fstatat(dir, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return false, &fs.PathError{Op: "stat", Path: f.path(name), Err: err}
	}
	return st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}

// touch sets the dates of the file name to t.
func (f folder) touch(name string, t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	err := f.at(func(dir int) error {
		return unix.UtimesNanoAt(dir, name, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return &fs.PathError{Op: "chtimes", Path: f.path(name), Err: err}
	}
	return nil
}

// renameInto moves name of f to to's folder as newName, replacing what
// has that name.
func (f folder) renameInto(name string, to folder, newName string) error {
	err := f.at(func(from int) error {
		return to.at(func(into int) error { return unix.Renameat(from, name, into, newName) })
	})
	if err != nil {
		return &os.LinkError{Op: "rename", Old: f.path(name), New: to.path(newName), Err: err}
	}
	return nil
}
