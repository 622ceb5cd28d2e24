// Package blob is the content-addressed file store: each file lives under
// its SHA-256 in the data directory, reached only through an os.Root or a
// folder it opened, by a single checked name, so no name can escape it.
// Rows of the database reference blobs by hash; moving a record between
// establishments moves references, never bytes, and a collector removes
// blobs no row references any more.
package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/scratch"
)

// DefaultMaxSize bounds one file (attachments, documents).
const DefaultMaxSize = 20 << 20

// Local is the content-addressed file store in a folder of the local
// file system (or one every process mounts).
type Local struct {
	root    *os.Root
	dir     string
	maxSize int64
	scratch *scratch.Dir // this process's temporary files, under tmp/
	tmpRel  string       // its path relative to root
	tmp     folder       // the same, held open
	sha     folder       // sha256/, which holds the fan-out folders

	mu       sync.Mutex
	unsynced map[string]bool   // blobs (their sums) PutDeferred wrote since the last Sync
	fanouts  map[string]folder // the fan-out folders sha256/ab opened so far, by ab
	retired  []folder          // fan-out folders found removed, closed at Close
	closed   bool
}

// Ref names a stored blob.
type Ref struct {
	SHA256 string
	Size   int64
}

// Open opens (creating it if needed) the blob store in dir. maxSize bounds
// each Put; 0 means DefaultMaxSize.
func Open(dir string, maxSize int64) (*Local, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("impossible de créer le dossier des fichiers %s", dir))
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("ouverture du dossier des fichiers %s", dir))
	}
	for _, d := range []string{"sha256", "tmp"} {
		if err := root.Mkdir(d, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			root.Close()
			return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le dossier des fichiers %s n'est pas accessible en écriture", dir))
		}
	}
	// The partial files of processes that died writing (killed in the
	// middle of an upload, of an archive) go now, not after the
	// collector's grace period; those of live processes stay.
	tmpDir := filepath.Join(dir, "tmp")
	SweepTemporary(tmpDir)
	sd, err := scratch.New(tmpDir, ScratchPrefix)
	if err != nil {
		root.Close()
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le dossier des fichiers %s n'est pas accessible en écriture", dir))
	}
	s := &Local{root: root, dir: dir, maxSize: maxSize, scratch: sd, tmpRel: path.Join("tmp", filepath.Base(sd.Path)), fanouts: map[string]folder{}}
	if s.tmp, err = openFolder(root, s.tmpRel); err == nil {
		s.sha, err = openFolder(root, "sha256")
	}
	if err != nil {
		s.Close()
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("ouverture du dossier des fichiers %s", dir))
	}
	return s, nil
}

// fanout returns the fan-out folder sha256/ab (ab: the first two digits
// of a sum), made first when create is set (a Put); it stays open until
// Close.
func (s *Local) fanout(ab string, create bool) (folder, error) {
	s.mu.Lock()
	f, ok := s.fanouts[ab]
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return folder{}, os.ErrClosed
	}
	if ok {
		return f, nil
	}
	// Opened without the lock: the other blobs' work goes on meanwhile.
	f, err := s.sha.sub(ab, create)
	if err != nil {
		return folder{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		f.close()
		return folder{}, os.ErrClosed
	}
	if had, ok := s.fanouts[ab]; ok {
		f.close() // opened by another call meanwhile
		return had, nil
	}
	s.fanouts[ab] = f
	return f, nil
}

// inFanout runs op in the fan-out folder of sum and returns the folder.
// When op finds nothing and the cached folder has been removed since it
// was opened (by hand, or removed and made again by another process or a
// restore: the store never removes one), the folder is opened again, made
// when create is set, and op runs once more.
func (s *Local) inFanout(sum string, create bool, op func(folder) error) (folder, error) {
	ab := sum[:2]
	fan, err := s.fanout(ab, create)
	if err != nil {
		return fan, err
	}
	err = op(fan)
	if !errors.Is(err, fs.ErrNotExist) || !fan.removed() {
		return fan, err
	}
	s.mu.Lock()
	if cur, ok := s.fanouts[ab]; ok && cur.dir == fan.dir {
		delete(s.fanouts, ab)
		// Not closed now: another call may still be using it.
		s.retired = append(s.retired, fan)
	}
	s.mu.Unlock()
	if fan, err = s.fanout(ab, create); err != nil {
		return fan, err
	}
	return fan, op(fan)
}

// ScratchPrefix names the temporary folder of each process in tmp/ (a
// restore writes its files there too).
const ScratchPrefix = "p-"

// legacyTempAge is how old a loose file of tmp/ must be to be removed when
// a store opens: such files come from versions that wrote there directly
// (and from other tools); a live write never takes that long.
const legacyTempAge = time.Hour

// SweepTemporary removes from a blob store's tmp folder the temporary
// folders of dead processes and the loose files older than an hour, and
// returns how many it removed. Open calls it.
func SweepTemporary(tmpDir string) int {
	n, _ := scratch.Sweep(tmpDir, ScratchPrefix)
	entries, _ := os.ReadDir(tmpDir)
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ScratchPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > legacyTempAge {
			if os.Remove(filepath.Join(tmpDir, e.Name())) == nil {
				n++
			}
		}
	}
	return n
}

// Close releases the store and removes its temporary folder.
func (s *Local) Close() error {
	s.mu.Lock()
	s.closed = true
	for ab, f := range s.fanouts {
		f.close()
		delete(s.fanouts, ab)
	}
	for _, f := range s.retired {
		f.close()
	}
	s.retired = nil
	s.mu.Unlock()
	s.sha.close()
	s.tmp.close()
	s.scratch.Close()
	return s.root.Close()
}

// MaxSize is the largest file Put accepts.
func (s *Local) MaxSize() int64 { return s.maxSize }

// ErrTooLarge is returned by Put for a file over the size limit.
var ErrTooLarge = errors.New("fichier trop volumineux")

// Put stores the content of r and returns its reference. The content is
// written to a temporary file, synced, then renamed to its address, so a
// crash leaves either no blob or a whole one. Storing the same content twice
// keeps one copy.
func (s *Local) Put(r io.Reader) (Ref, error) { return s.put(r, true) }

// PutDeferred is Put without the sync of each file: for work that writes
// many files and records them in batches (the changeover's archives). Call
// Sync before committing the rows that reference them, so that no
// committed row can point at a file a crash would lose.
func (s *Local) PutDeferred(r io.Reader) (Ref, error) { return s.put(r, false) }

// syncWorkers is how many files Sync flushes at once: the file system
// commits concurrent flushes together.
const syncWorkers = 8

// Sync flushes the files PutDeferred wrote since the last Sync, then the
// folders that name them (a renamed file is only durable once its folder
// is). Only these: a flush of the whole file system (syncfs) would also
// wait for every other process's writes, PostgreSQL's included.
func (s *Local) Sync() error {
	s.mu.Lock()
	names := s.unsynced
	s.unsynced = nil
	s.mu.Unlock()
	if len(names) == 0 {
		return nil
	}
	var sums, fanouts []string // fanouts: the folders' two digits
	seen := map[string]bool{}
	for sum := range names {
		sums = append(sums, sum)
		if !seen[sum[:2]] {
			seen[sum[:2]] = true
			fanouts = append(fanouts, sum[:2])
		}
	}
	// Files first, then folders: a folder synced before its file could
	// name a file whose content a crash loses. sha256/ last: it holds the
	// new fan-out folders.
	err := s.syncAll(sums, s.syncBlob)
	if err == nil {
		err = s.syncAll(fanouts, s.syncFanout)
	}
	if err == nil {
		err = s.sha.sync()
	}
	if err != nil {
		// Kept for the next Sync: the caller commits nothing this time.
		s.mu.Lock()
		if s.unsynced == nil {
			s.unsynced = map[string]bool{}
		}
		maps.Copy(s.unsynced, names)
		s.mu.Unlock()
		return sillage.Wrap(sillage.KindUnavailable, err, "synchronisation des fichiers")
	}
	return nil
}

// syncAll runs sync on each name, syncWorkers at once.
func (s *Local) syncAll(names []string, sync func(string) error) error {
	work := make(chan string)
	errs := make(chan error, syncWorkers)
	for range min(syncWorkers, len(names)) {
		go func() {
			var first error
			for n := range work {
				if first == nil {
					first = sync(n)
				}
			}
			errs <- first
		}()
	}
	for _, n := range names {
		work <- n
	}
	close(work)
	var err error
	for range min(syncWorkers, len(names)) {
		err = errors.Join(err, <-errs)
	}
	return err
}

// syncBlob flushes a blob's file.
func (s *Local) syncBlob(sum string) error {
	f, err := s.openBlob(sum)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // collected since: nothing of it to keep
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// openBlob opens the file of the blob sum (Open and Sync).
func (s *Local) openBlob(sum string) (*os.File, error) {
	var f *os.File
	_, err := s.inFanout(sum, false, func(fan folder) (err error) {
		f, err = fan.open(sum)
		return err
	})
	return f, err
}

// syncFanout flushes the fan-out folder sha256/ab (the names it holds).
func (s *Local) syncFanout(ab string) error {
	fan, err := s.fanout(ab, false)
	if err != nil {
		return err
	}
	return fan.sync()
}

// deferSync notes a blob written without sync, for the next Sync.
func (s *Local) deferSync(sum string) {
	s.mu.Lock()
	if s.unsynced == nil {
		s.unsynced = map[string]bool{}
	}
	s.unsynced[sum] = true
	s.mu.Unlock()
}

// copyBuffers are the buffers of Put's copy (32 KiB each, as io.Copy's):
// the changeover writes thousands of archives in a row.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (s *Local) put(r io.Reader, sync bool) (Ref, error) {
	tmpName := randomName()
	f, err := s.tmp.create(tmpName)
	if err != nil {
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	h := sha256.New()
	buf := copyBuffers.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(r, s.maxSize+1), *buf)
	copyBuffers.Put(buf)
	if err == nil && n > s.maxSize {
		err = sillage.Wrap(sillage.KindInvalid, ErrTooLarge, fmt.Sprintf("fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.maxSize)))
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.tmp.remove(tmpName)
		if sillage.KindOf(err) == sillage.KindInvalid {
			return Ref{}, err
		}
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	fan, err := s.fanout(sum[:2], true)
	if err != nil {
		s.tmp.remove(tmpName)
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	// What a synced Put flushes after its rename.
	var syncFile, syncFolders bool
	// Already stored (content-addressed): written again, its date is
	// renewed so that the collector's grace period starts again, or an old
	// unreferenced copy could go before the row that now refers to it
	// commits. A copy the collector removes meanwhile is written anew, and
	// anything but a regular file (a symbolic link) is replaced.
	if stored, err := fan.isFile(sum); err == nil && stored && fan.touch(sum, time.Now()) == nil {
		s.tmp.remove(tmpName)
		// A synced Put is promised a durable blob, and the copy there may
		// not be yet: a deferred write not flushed, one whose Sync is under
		// way, another synced Put between its rename and its flushes.
		// Flushing what is durable already costs little.
		syncFile, syncFolders = sync, sync
	} else if fan, err = s.inFanout(sum, true, func(fan folder) error { return s.tmp.renameInto(tmpName, fan, sum) }); err != nil {
		s.tmp.remove(tmpName)
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	} else {
		// The rename is only durable once the folder naming the file is
		// flushed, and a new fan-out folder once sha256/ is.
		syncFolders = sync
	}
	if !sync {
		// Also when the blob was there already: it may be another
		// deferred write not synced yet.
		s.deferSync(sum)
	}
	err = nil
	if syncFile {
		err = s.syncBlob(sum)
	}
	if err == nil && syncFolders {
		// The fan-out folder may be new: made by this Put, by a deferred
		// write not flushed yet, or by a concurrent Put that has not
		// flushed sha256/ yet. Flushing an unchanged folder costs little.
		if err = fan.sync(); err == nil {
			err = s.sha.sync()
		}
	}
	if err != nil {
		// The blob stays (content-addressed, possibly shared); the
		// caller commits nothing that references it this time.
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "synchronisation du fichier")
	}
	return Ref{SHA256: sum, Size: n}, nil
}

func randomName() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// name is the path of a blob: sha256/ab/abcdef…
func (s *Local) name(sum string) string { return path.Join("sha256", sum[:2], sum) }

// validSum refuses anything but 64 lowercase hex digits, so a hash taken
// from a request or a file can never name another path.
func validSum(sum string) bool {
	if len(sum) != 64 {
		return false
	}
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Open returns the blob's content.
func (s *Local) Open(sum string) (File, error) {
	if !validSum(sum) {
		return nil, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	f, err := s.openBlob(sum)
	// A symbolic link where the blob should be is not the blob (Has says
	// so too): missing, as the callers that list missing files expect.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) {
		return nil, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, "lecture du fichier")
	}
	return f, nil
}

// Has reports whether the blob is stored.
func (s *Local) Has(sum string) bool {
	if !validSum(sum) {
		return false
	}
	var stored bool
	_, err := s.inFanout(sum, false, func(fan folder) (err error) {
		stored, err = fan.isFile(sum)
		return err
	})
	return err == nil && stored
}

// RemoveIfUnreferenced removes one blob at once, unless referenced says a
// row still refers to it: for files that must not wait for the collector
// (the changeover's initialisation files carry every student's INE). Call
// it once the rows that referred to the blob are committed as deleted,
// outside any write transaction. It reports whether a file was removed; a
// blob already gone is not an error.
func (s *Local) RemoveIfUnreferenced(sum string, referenced func(sum string) (bool, error)) (bool, error) {
	if ok, err := removable(sum, referenced); !ok {
		return false, err
	}
	err := s.root.Remove(s.name(sum))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, sillage.Wrap(sillage.KindUnavailable, err, "suppression du fichier")
	}
	return true, nil
}

// removable is the check both stores make before RemoveIfUnreferenced
// removes sum: a valid digest, a reference check given, and no row using it.
func removable(sum string, referenced func(sum string) (bool, error)) (bool, error) {
	if !validSum(sum) {
		return false, nil
	}
	if referenced == nil {
		return false, errors.New("blob: RemoveIfUnreferenced without a reference check")
	}
	used, err := referenced(sum)
	return err == nil && !used, err
}

// CollectReport says what the collector found.
type CollectReport struct {
	Blobs      int   // blobs examined
	Removed    int   // unreferenced blobs removed
	Freed      int64 // bytes freed
	Kept       int   // unreferenced but younger than the grace period
	StaleTemps int   // leftover temporary files removed
}

// Collect removes the blobs that refs does not contain and that were last
// written before olderThan. The grace period protects a blob written by a
// transaction that has not committed its row yet. Run it outside any
// transaction: it only reads the set of references.
func (s *Local) Collect(ctx context.Context, refs map[string]bool, olderThan time.Time) (CollectReport, error) {
	var rep CollectReport
	err := fs.WalkDir(s.root.FS(), "sha256", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() || !validSum(d.Name()) {
			return nil
		}
		rep.Blobs++
		if refs[d.Name()] {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.ModTime().After(olderThan) {
			rep.Kept++
			return nil
		}
		if err := s.root.Remove(p); err != nil {
			return err
		}
		rep.Removed++
		rep.Freed += info.Size()
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("collect blobs: %w", err)
	}
	rep.StaleTemps += SweepTemporary(filepath.Join(s.dir, "tmp"))
	entries, err := fs.ReadDir(s.root.FS(), "tmp")
	if err != nil {
		return rep, fmt.Errorf("collect temporary files: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ScratchPrefix) {
			continue // the folders of live processes
		}
		info, err := e.Info()
		if err == nil && info.ModTime().Before(olderThan) {
			if s.root.Remove(path.Join("tmp", e.Name())) == nil {
				rep.StaleTemps++
			}
		}
	}
	return rep, nil
}
