//go:build unix

package blob

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// endless is a reader that never ends: a Put of it writes until killed.
type endless struct{ ready chan struct{} }

func (e *endless) Read(p []byte) (int, error) {
	if e.ready != nil {
		close(e.ready)
		e.ready = nil
	}
	time.Sleep(time.Millisecond)
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestHelperPut is the process TestKilledPutLeavesNothing kills: it
// stores one whole file, then writes a second one forever.
func TestHelperPut(t *testing.T) {
	dir := os.Getenv("BLOB_HELPER_DIR")
	if dir == "" {
		t.Skip("helper process")
	}
	s, err := Open(dir, 1<<40)
	if err != nil {
		os.Exit(3)
	}
	if _, err := s.Put(strings.NewReader(fmt.Sprint(os.Getpid()))); err != nil {
		os.Exit(3)
	}
	ready := make(chan struct{})
	r := &endless{ready: ready}
	go func() {
		<-ready
		fmt.Println("WRITING")
	}()
	s.Put(r)
	os.Exit(4)
}

// TestKilledPutLeavesNothing kills processes in the middle of a Put with
// SIGKILL, at random moments: the next Open removes the partial file at
// once (not after the collector's day of grace), keeps every whole file,
// and never touches the temporary files of a store still open.
func TestKilledPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	live, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	liveTmp, err := live.root.Create(live.tmpRel + "/en-cours")
	if err != nil {
		t.Fatal(err)
	}
	liveTmp.Close()

	const trials = 15
	removed := 0
	for i := 0; i < trials; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPut$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BLOB_HELPER_DIR="+dir)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "WRITING" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper: %q", line)
		}
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		io.Copy(io.Discard, out)
		partial := countFiles(t, filepath.Join(dir, "tmp"))
		if partial < 2 { // ours and the dead one's
			t.Fatalf("trial %d: no partial file to clean (%d)", i, partial)
		}
		s, err := Open(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := countFiles(t, filepath.Join(dir, "tmp")); got != 1 {
			t.Fatalf("trial %d: %d temporary files after the next start, want only the live store's", i, got)
		}
		removed += partial - 1
		s.Close()
	}
	// Every whole file is intact: its content hashes to its name.
	whole := 0
	err = filepath.WalkDir(filepath.Join(dir, "sha256"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := live.Open(d.Name())
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		io.Copy(h, f)
		if hex.EncodeToString(h.Sum(nil)) != d.Name() {
			return fmt.Errorf("%s: content does not match its name", d.Name())
		}
		whole++
		return nil
	})
	if err != nil || whole != trials {
		t.Fatalf("%d whole files (%v), want %d", whole, err, trials)
	}
	t.Logf("%d writers killed mid-file, %d partial files removed at the next start, %d whole files kept, the live store's file kept", trials, removed, whole)
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".lock") {
			n++
		}
		return nil
	})
	return n
}
