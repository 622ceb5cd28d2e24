package directory

import (
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/xmlfile"
)

// Input is a national file opened for an import: the XML content of a plain
// file or of a ZIP holding one XML file (xmlfile.Open), or a CSV file.
type Input struct {
	io.Reader
	Size int64 // of the file on disk
	f    *os.File
	rc   io.ReadCloser
}

// Close closes the content and the file.
func (in *Input) Close() error {
	err := in.rc.Close()
	if cerr := in.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// OpenInput opens a file for an import. progress, when set, receives how far
// into the file (in bytes of the file on disk) the reading is, and its size:
// the command line draws its progress bar with it.
func OpenInput(path string, maxExpanded int64, progress func(read, total int64)) (*Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, "fichier "+filepath.Base(path)+" illisible")
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, sillage.Errorf(sillage.KindInvalid, "%s est un dossier, pas un fichier", path)
	}
	var ra io.ReaderAt = f
	if progress != nil {
		ra = &progressReaderAt{ra: f, total: st.Size(), fn: progress}
	}
	rc, err := xmlfile.Open(ra, st.Size(), maxExpanded)
	if err != nil {
		f.Close()
		// The reason first: on the web the path is a temporary name.
		return nil, sillage.Wrap(sillage.KindOf(err), err, sillage.Message(err)+" ("+filepath.Base(path)+")")
	}
	return &Input{Reader: rc, Size: st.Size(), f: f, rc: rc}, nil
}

// progressReaderAt reports the furthest offset read.
type progressReaderAt struct {
	ra    io.ReaderAt
	total int64
	fn    func(read, total int64)
	mu    sync.Mutex
	max   int64
}

func (p *progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.ra.ReadAt(b, off)
	p.mu.Lock()
	if end := off + int64(n); end > p.max {
		p.max = end
		p.fn(p.max, p.total)
	}
	p.mu.Unlock()
	return n, err
}
