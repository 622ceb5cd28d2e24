package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sillage/sillage"
)

func TestPutOpenDedupe(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 1024)
		content := []byte("%PDF-1.4 bonjour")
		ref, err := s.Put(bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if ref.SHA256 != hex.EncodeToString(sum[:]) || ref.Size != int64(len(content)) {
			t.Fatalf("ref = %+v", ref)
		}
		again, err := s.Put(bytes.NewReader(content))
		if err != nil || again != ref {
			t.Fatalf("second put = %+v, %v", again, err)
		}
		f, err := s.Open(ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		info, err := f.Stat()
		if err != nil || info.Size() != ref.Size {
			t.Fatalf("stat = %v, %v", info, err)
		}
		// Read at an offset, as the changeover reads its files.
		part := make([]byte, 5)
		if n, err := f.ReadAt(part, 9); n != 5 || string(part) != "bonjo" {
			t.Fatalf("ReadAt = %d %q, %v", n, part, err)
		}
		f.Close()
		if !bytes.Equal(got, content) {
			t.Fatalf("content = %q", got)
		}
		rep, err := s.Collect(context.Background(), map[string]bool{ref.SHA256: true}, time.Now().Add(time.Hour))
		if err != nil || rep.Blobs != 1 || rep.Removed != 0 {
			t.Fatalf("%+v, %v: want 1 blob stored (content-addressed)", rep, err)
		}
		if b.temps(t, s) != 0 {
			t.Fatal("temporary files left")
		}
	})
}

func TestPutTooLarge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 10)
		if _, err := s.Put(strings.NewReader(strings.Repeat("x", 10))); err != nil {
			t.Fatalf("exactly at the limit: %v", err)
		}
		_, err := s.Put(strings.NewReader(strings.Repeat("y", 11)))
		if sillage.KindOf(err) != sillage.KindInvalid || !strings.Contains(err.Error(), "trop volumineux") {
			t.Fatalf("err = %v", err)
		}
		if s.MaxSize() != 10 {
			t.Fatalf("MaxSize = %d", s.MaxSize())
		}
		if n := b.temps(t, s); n != 0 {
			t.Fatalf("refused file left %d temporary files", n)
		}
		if rep, _ := s.Collect(context.Background(), nil, time.Time{}); rep.Blobs != 1 {
			t.Fatalf("%d blobs stored, want 1: the refused one is not", rep.Blobs)
		}
	})
}

func TestOpenRefusesNonHashNames(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 0)
		for _, name := range []string{"../../etc/passwd", "", strings.Repeat("A", 64), strings.Repeat("a", 63) + "/", strings.Repeat("0", 64)} {
			if _, err := s.Open(name); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("Open(%q) = %v, want not found", name, err)
			}
			if s.Has(name) {
				t.Errorf("Has(%q)", name)
			}
		}
	})
}

// The grace period is judged on the date each blob was last written: the
// test writes two blobs, lets time pass, takes the limit, lets time pass
// again (object stores date to the second) and writes the third.
func TestCollect(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 0)
		kept, _ := s.Put(strings.NewReader("kept"))
		orphan, _ := s.Put(strings.NewReader("orphan"))
		time.Sleep(1100 * time.Millisecond)
		limit := time.Now()
		time.Sleep(1100 * time.Millisecond)
		young, _ := s.Put(strings.NewReader("young"))
		rep, err := s.Collect(context.Background(), map[string]bool{kept.SHA256: true}, limit)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Blobs != 3 || rep.Removed != 1 || rep.Kept != 1 || rep.Freed != orphan.Size {
			t.Fatalf("report = %+v", rep)
		}
		if !s.Has(kept.SHA256) || s.Has(orphan.SHA256) || !s.Has(young.SHA256) {
			t.Fatal("collector removed the wrong blob")
		}
		// Storing the content again renews its grace period.
		if _, err := s.Put(strings.NewReader("kept")); err != nil {
			t.Fatal(err)
		}
		rep, err = s.Collect(context.Background(), nil, limit)
		if err != nil || rep.Blobs != 2 || rep.Removed != 0 || rep.Kept != 2 {
			t.Fatalf("after a second Put: %+v, %v", rep, err)
		}
	})
}

func TestRemoveIfUnreferenced(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 0)
		used, _ := s.Put(strings.NewReader("still referenced"))
		free, _ := s.Put(strings.NewReader("nobody refers to me"))
		refs := map[string]bool{used.SHA256: true}
		check := func(sum string) (bool, error) { return refs[sum], nil }
		for _, tc := range []struct {
			name    string
			sum     string
			check   func(string) (bool, error)
			removed bool
			fails   bool
		}{
			{"a referenced blob stays", used.SHA256, check, false, false},
			{"an unreferenced blob goes", free.SHA256, check, true, false},
			{"removed twice: nothing more", free.SHA256, check, false, false},
			{"a failing check removes nothing", used.SHA256, func(string) (bool, error) { return false, io.ErrUnexpectedEOF }, false, true},
			{"no check removes nothing", used.SHA256, nil, false, true},
			{"not a hash", "../../etc/passwd", check, false, false},
		} {
			removed, err := s.RemoveIfUnreferenced(tc.sum, tc.check)
			if removed != tc.removed || (err != nil) != tc.fails {
				t.Errorf("%s: removed %v, err %v", tc.name, removed, err)
			}
		}
		if !s.Has(used.SHA256) || s.Has(free.SHA256) {
			t.Fatal("the wrong blob was removed")
		}
		if _, err := s.Open(free.SHA256); sillage.KindOf(err) != sillage.KindNotFound {
			t.Fatalf("open of a removed blob: %v", err)
		}
	})
}

func TestPutDeferredThenSyncBackends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 0)
		ref, err := s.PutDeferred(strings.NewReader("archive"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sync(); err != nil {
			t.Fatal(err)
		}
		f, err := s.Open(ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if string(got) != "archive" {
			t.Fatalf("content %q", got)
		}
		if err := s.Check(0); err != nil {
			t.Fatalf("check: %v", err)
		}
		if err := s.Check(1 << 62); sillage.KindOf(err) != sillage.KindUnavailable {
			t.Fatalf("check with no room: %v", err)
		}
	})
}

// A Put whose reader breaks stores nothing and leaves no temporary file.
func TestBrokenReaderStoresNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s := b.open(t, 0)
		if _, err := s.Put(io.MultiReader(strings.NewReader("début"), failingReader{})); sillage.KindOf(err) != sillage.KindUnavailable {
			t.Fatalf("broken reader: %v", err)
		}
		sum := sha256.Sum256([]byte("début"))
		if s.Has(hex.EncodeToString(sum[:])) {
			t.Fatal("a failed Put stored its blob")
		}
		if rep, _ := s.Collect(context.Background(), nil, time.Time{}); rep.Blobs != 0 {
			t.Fatalf("%d blobs stored", rep.Blobs)
		}
		if n := b.temps(t, s); n != 0 {
			t.Fatalf("%d temporary files left", n)
		}
	})
}

func TestOpenReadOnlyDir(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o500)
	defer os.Chmod(dir, 0o700)
	if _, err := Open(filepath.Join(dir, "blobs"), 0); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("err = %v", err)
	}
}

func TestPutDeferredThenSync(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ref, err := s.PutDeferred(strings.NewReader("archive"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(ref.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "archive" {
		t.Fatalf("content %q", b)
	}
	if len(s.unsynced) != 0 {
		t.Fatalf("still to sync after Sync: %v", s.unsynced)
	}
}

// Sync flushes the files written without sync since the last one (and
// their folders), not the whole file system: a synced Put leaves nothing
// for it, the same content written twice is one file, and a file removed
// meanwhile (collected) is no error.
func TestSyncFlushesTheDeferredFiles(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(strings.NewReader("synced")); err != nil {
		t.Fatal(err)
	}
	if len(s.unsynced) != 0 {
		t.Fatalf("a synced Put left %v to sync", s.unsynced)
	}
	var refs []Ref
	for _, c := range []string{"a", "b", "c", "a", strings.Repeat("x", 100)} {
		ref, err := s.PutDeferred(strings.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if len(s.unsynced) != 4 {
		t.Fatalf("%d files to sync, want 4: %v", len(s.unsynced), s.unsynced)
	}
	if err := s.root.Remove(s.name(refs[1].SHA256)); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if len(s.unsynced) != 0 {
		t.Fatalf("still to sync after Sync: %v", s.unsynced)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("a Sync with nothing to do: %v", err)
	}
}

// A synced Put flushes the folders that name the new file (its fan-out
// folder, and sha256/ when that folder is new): the content round-trips
// whether the fan-out folder is new or not, and through a deferred write
// of the same content still waiting for Sync.
func TestSyncedPutIntoNewAndExistingFolders(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pending, err := s.PutDeferred(strings.NewReader("en attente"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"premier", "premier", "en attente"} {
		ref, err := s.Put(strings.NewReader(c))
		if err != nil {
			t.Fatalf("put %q: %v", c, err)
		}
		f, err := s.Open(ref.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != c {
			t.Fatalf("content %q, want %q", b, c)
		}
	}
	// A sibling in an existing fan-out folder.
	sum := sha256.Sum256([]byte("premier"))
	if _, err := os.Stat(filepath.Join(s.dir, "sha256", hex.EncodeToString(sum[:])[:2])); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	waiting := s.unsynced[pending.SHA256]
	s.mu.Unlock()
	if !waiting {
		t.Fatal("the deferred write was dropped from the next Sync")
	}
	tmp, _ := os.ReadDir(s.scratch.Path)
	if len(tmp) != 0 {
		t.Fatalf("%d temporary files left", len(tmp))
	}
}

// A Put that fails (the reader breaks, the fan-out folder cannot be made)
// leaves no temporary file and no blob.
func TestFailedPutLeavesNothing(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Put(io.MultiReader(strings.NewReader("début"), failingReader{})); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("broken reader: %v", err)
	}
	content := "contenu bloqué"
	sum := sha256.Sum256([]byte(content))
	// A file where the fan-out folder should be: the folder cannot be made.
	if err := os.WriteFile(filepath.Join(s.dir, "sha256", hex.EncodeToString(sum[:])[:2]), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(strings.NewReader(content)); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("blocked fan-out folder: %v", err)
	}
	if s.Has(hex.EncodeToString(sum[:])) {
		t.Fatal("a failed Put stored its blob")
	}
	tmp, _ := os.ReadDir(s.scratch.Path)
	if len(tmp) != 0 {
		t.Fatalf("failed Puts left %d temporary files", len(tmp))
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// Closing the store while it is used (a server stopping after its grace
// period, jobs still running) makes the calls fail, never panic or act on
// another file; after Close every call fails.
func TestCloseWhileInUse(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := s.Put(strings.NewReader("déjà là"))
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if _, err := s.PutDeferred(strings.NewReader(fmt.Sprint(g, " ", i))); err != nil {
					return
				}
				select {
				case written <- struct{}{}:
				default:
				}
				if f, err := s.Open(ref.SHA256); err == nil {
					f.Close()
				}
				s.Sync()
			}
		}()
	}
	<-written // the writers are at work
	s.Close()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("calls still running a minute after Close")
	}
	if _, err := s.Put(strings.NewReader("après")); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("Put after Close: %v", err)
	}
	if _, err := s.Open(ref.SHA256); sillage.KindOf(err) != sillage.KindUnavailable {
		t.Fatalf("Open after Close: %v", err)
	}
}
