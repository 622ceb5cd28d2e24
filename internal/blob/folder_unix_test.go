//go:build unix

package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sillage/sillage"
)

func sumHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// A symbolic link standing at a blob's address (dangling, or to a file of
// the store) is not the blob: Has says so, Put replaces it with the
// content, and Open then reads the content.
func TestPutReplacesASymbolicLink(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.WriteFile(filepath.Join(dir, "autre"), []byte("autre contenu"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/nulle-part", "../../autre"} {
		content := []byte("contenu derrière " + target)
		sum := sumHex(content)
		fan := filepath.Join(dir, "sha256", sum[:2])
		if err := os.MkdirAll(fan, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(fan, sum)); err != nil {
			t.Fatal(err)
		}
		if s.Has(sum) {
			t.Fatalf("Has: a link to %s taken for the blob", target)
		}
		if _, err := s.Open(sum); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("Open of a link to %s: %v, want « introuvable »", target, err)
		}
		if _, err := s.Put(bytes.NewReader(content)); err != nil {
			t.Fatalf("Put over a link to %s: %v", target, err)
		}
		f, err := s.Open(sum)
		if err != nil {
			t.Fatalf("Open after Put over a link to %s: %v", target, err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, content) {
			t.Fatalf("content %q, want %q", got, content)
		}
	}
}

// A FIFO where a fan-out folder should be is refused at once: opening it
// would block, and with it every other use of the store.
func TestFIFOWhereAFanOutFolderShouldBe(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	content := []byte("contenu")
	sum := sumHex(content)
	if err := unix.Mkfifo(filepath.Join(dir, "sha256", sum[:2]), 0o640); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(bytes.NewReader(content))
		done <- err
	}()
	select {
	case err := <-done:
		if sillage.KindOf(err) != sillage.KindUnavailable {
			t.Fatalf("Put: %v", err)
		}
	case <-time.After(10 * time.Second):
		// Release the blocked open, or the deferred Close could wait on it
		// and hang the whole test binary.
		if w, err := os.OpenFile(filepath.Join(dir, "sha256", sum[:2]), os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("Put blocked on a FIFO")
	}
	if _, err := s.Open(sum); sillage.KindOf(err) == sillage.KindNotFound || err == nil {
		t.Fatalf("Open: %v, want the folder refused", err)
	}
}

// A fan-out folder removed by hand while the store holds it open: the
// next Put of its prefix makes it again, and when another process (or a
// restore) made it again, this store finds the blobs written there.
func TestRemovedFanOutFolder(t *testing.T) {
	first := []byte("premier")
	prefix := sumHex(first)[:2]
	var second []byte // content of the same fan-out folder
	for i := 0; second == nil; i++ {
		if c := []byte(fmt.Sprint("second ", i)); sumHex(c)[:2] == prefix {
			second = c
		}
	}
	for _, writer := range []string{"this store", "another store"} {
		t.Run(writer, func(t *testing.T) {
			dir := t.TempDir()
			here, err := Open(dir, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer here.Close()
			w := here
			if writer == "another store" {
				if w, err = Open(dir, 0); err != nil {
					t.Fatal(err)
				}
				defer w.Close()
			}
			if _, err := here.Put(bytes.NewReader(first)); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(dir, "sha256", prefix)); err != nil {
				t.Fatal(err)
			}
			ref, err := w.Put(bytes.NewReader(second))
			if err != nil {
				t.Fatalf("Put into the removed folder: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "sha256", prefix, ref.SHA256)); err != nil {
				t.Fatalf("not at its address: %v", err)
			}
			if !here.Has(ref.SHA256) {
				t.Fatal("Has: the blob not found")
			}
			f, err := here.Open(ref.SHA256)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(got, second) {
				t.Fatalf("content %q", got)
			}
		})
	}
}
