//go:build unix

package scratch_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/scratch"
)

// TestHelperWriter is the process killed by TestKilledOwnersAreSwept: it
// takes a folder, says so, and writes into it until it dies.
func TestHelperWriter(t *testing.T) {
	parent := os.Getenv("SCRATCH_HELPER_PARENT")
	if parent == "" {
		t.Skip("helper process")
	}
	d, err := scratch.New(parent, "p-")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	f, err := os.Create(filepath.Join(d.Path, "partiel"))
	if err != nil {
		os.Exit(3)
	}
	fmt.Println("READY", d.Path)
	buf := make([]byte, 4096)
	for {
		f.Write(buf)
	}
}

func startHelper(t *testing.T, parent string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SCRATCH_HELPER_PARENT="+parent)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper: %q %v", line, err)
	}
	return cmd, strings.TrimSpace(strings.TrimPrefix(line, "READY "))
}

// TestKilledOwnersAreSwept kills writers at random moments with SIGKILL:
// the next sweep removes each dead writer's folder and partial file at
// once, and never the folder of a writer still alive, nor this process's.
func TestKilledOwnersAreSwept(t *testing.T) {
	parent := t.TempDir()
	live, liveDir := startHelper(t, parent)
	defer func() { live.Process.Kill(); live.Wait() }()
	own, err := scratch.New(parent, "p-")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	other, err := scratch.New(parent, "autre-")
	if err != nil {
		t.Fatal(err)
	}
	other.Close()

	const trials = 20
	swept := 0
	for i := 0; i < trials; i++ {
		cmd, dir := startHelper(t, parent)
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := os.Stat(filepath.Join(dir, "partiel")); err != nil {
			t.Fatalf("trial %d: the partial file should be there before the sweep: %v", i, err)
		}
		n, err := scratch.Sweep(parent, "p-")
		if err != nil || n != 1 {
			t.Fatalf("trial %d: sweep removed %d (%v), want the dead writer's folder", i, n, err)
		}
		swept += n
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Fatalf("trial %d: %s survived the sweep", i, dir)
		}
		for _, keep := range []string{liveDir, own.Path} {
			if _, err := os.Stat(keep); err != nil {
				t.Fatalf("trial %d: a live folder was swept: %v", i, err)
			}
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 4 { // the live writer's and ours, each with its lock
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("left in the parent: %v", names)
	}
	t.Logf("%d writers killed at random, %d folders swept at the next start, live folders kept", trials, swept)

	// A folder whose lock file is gone (a sweeper died halfway) is swept.
	orphan := filepath.Join(parent, "p-orphelin")
	os.Mkdir(orphan, 0o700)
	if n, _ := scratch.Sweep(parent, "p-"); n != 1 {
		t.Fatalf("orphan folder: swept %d", n)
	}
	if err := own.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(own.Path + ".lock"); !os.IsNotExist(err) {
		t.Fatal("Close left the lock file")
	}
}
