//go:build unix

package scratch

import (
	"errors"
	"os"
	"syscall"
)

const canLock = true

// tryLock takes an exclusive lock on f without waiting; false when another
// open file description holds it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
