package directory

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/sillage/sillage/internal/aaf"
	"github.com/sillage/sillage/internal/scratch"
)

// spill keeps records on disk, grouped by key (an establishment, a hash
// bucket), so that an import of files covering a whole académie holds one
// establishment's records at a time, not the files. Appends are buffered per
// key; when the buffers together pass a bound, the largest are written out
// (each file opened in append mode, written, closed: an académie has
// thousands of establishments, more than a process may keep open).
type spill struct {
	// mu guards the buffers: the records of one establishment are read
	// back while those of another are being imported (aafRun.applyAll).
	mu    sync.Mutex
	dir   string
	owned *scratch.Dir
	bufs  map[string]*bytes.Buffer
	total int
	sizes map[string]int64
}

const (
	spillBufferLimit = 16 << 20  // all buffers together
	spillKeyFlush    = 256 << 10 // one key's buffer
)

const spillPrefix = "sillage-aaf-"

func newSpill(parent string) (*spill, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	// The spill files of an import killed in the middle (they hold
	// identities) go when the next one starts.
	scratch.Sweep(parent, spillPrefix)
	d, err := scratch.New(parent, spillPrefix)
	if err != nil {
		return nil, fmt.Errorf("dossier temporaire de l'import AAF : %w", err)
	}
	return &spill{dir: d.Path, owned: d, bufs: map[string]*bytes.Buffer{}, sizes: map[string]int64{}}, nil
}

// append adds one record under key.
func (s *spill) append(key string, rec []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bufs[key]
	if b == nil {
		b = &bytes.Buffer{}
		s.bufs[key] = b
	}
	var n [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(n[:], uint64(len(rec)))
	b.Write(n[:k])
	b.Write(rec)
	s.total += k + len(rec)
	if b.Len() >= spillKeyFlush {
		return s.flush(key)
	}
	if s.total >= spillBufferLimit {
		return s.flushLargest()
	}
	return nil
}

func (s *spill) path(key string) string { return filepath.Join(s.dir, key) }

func (s *spill) flush(key string) error {
	b := s.bufs[key]
	if b == nil || b.Len() == 0 {
		return nil
	}
	f, err := os.OpenFile(s.path(key), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	n, err := f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("écriture du fichier temporaire de l'import AAF : %w", err)
	}
	s.sizes[key] += int64(n)
	s.total -= b.Len()
	// Drop the buffer: thousands of keys each keeping a grown buffer
	// would hold the file in memory after all.
	delete(s.bufs, key)
	return nil
}

// flushLargest writes out the larger half of the buffered bytes.
func (s *spill) flushLargest() error {
	keys := make([]string, 0, len(s.bufs))
	for k, b := range s.bufs {
		if b.Len() > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return s.bufs[keys[i]].Len() > s.bufs[keys[j]].Len() })
	for _, k := range keys {
		if s.total < spillBufferLimit/2 {
			break
		}
		if err := s.flush(k); err != nil {
			return err
		}
	}
	// Small buffers of many keys: drop their memory too.
	if s.total >= spillBufferLimit/2 {
		for _, k := range keys {
			if err := s.flush(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// read streams the records of key in the order they were appended.
func (s *spill) read(key string, fn func(rec []byte) error) error {
	s.mu.Lock()
	err := s.flush(key)
	delete(s.bufs, key)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var rec []byte
	for {
		n, err := binary.ReadUvarint(br)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("lecture du fichier temporaire de l'import AAF : %w", err)
		}
		if uint64(cap(rec)) < n {
			rec = make([]byte, n)
		}
		rec = rec[:n]
		if _, err := io.ReadFull(br, rec); err != nil {
			return fmt.Errorf("lecture du fichier temporaire de l'import AAF : %w", err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// drop removes one key's file once it has been read.
func (s *spill) drop(key string) {
	s.mu.Lock()
	delete(s.bufs, key)
	s.mu.Unlock()
	os.Remove(s.path(key))
}

// remove deletes every spill file.
func (s *spill) remove() error {
	s.mu.Lock()
	s.bufs = nil
	s.mu.Unlock()
	return s.owned.Close()
}

// encodeRequest appends an AAF request to buf: operation, line, category,
// id, then the attributes sorted by name, each with its values.
func encodeRequest(buf []byte, r *aaf.Request) []byte {
	buf = binary.AppendUvarint(buf, uint64(r.Op))
	buf = binary.AppendUvarint(buf, uint64(r.Line))
	buf = appendString(buf, string(r.Category))
	buf = appendString(buf, r.ID)
	names := make([]string, 0, len(r.Attrs))
	for name := range r.Attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	buf = binary.AppendUvarint(buf, uint64(len(names)))
	for _, name := range names {
		buf = appendString(buf, name)
		vals := r.Attrs[name]
		buf = binary.AppendUvarint(buf, uint64(len(vals)))
		for _, v := range vals {
			buf = appendString(buf, v)
		}
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// decodeRequest reads what encodeRequest wrote.
func decodeRequest(b []byte) (*aaf.Request, error) {
	d := decoder{b: b}
	r := &aaf.Request{Op: aaf.Op(d.uint()), Line: int(d.uint()), Category: aaf.Category(d.string()), ID: d.string()}
	n := int(d.uint())
	r.Attrs = make(map[string][]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		name := d.string()
		k := int(d.uint())
		vals := make([]string, 0, min(k, 64))
		for j := 0; j < k && d.err == nil; j++ {
			vals = append(vals, d.string())
		}
		r.Attrs[name] = vals
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

type decoder struct {
	b   []byte
	err error
}

var errSpillCorrupt = errors.New("fichier temporaire de l'import AAF corrompu")

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errSpillCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uint()
	if d.err != nil {
		return ""
	}
	if uint64(len(d.b)) < n {
		d.err = errSpillCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}
