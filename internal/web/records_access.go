package web

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// recordsWho is the principal as the record's rules know them (sillage.Who):
// the reach and the entry of results are decided in package records.
func whoOf(p auth.Principal) sillage.Who {
	return sillage.Who{UAI: p.UAI, PersonID: p.PersonID, Role: p.Role}
}

// serveBlob sends a stored file as a download: Content-Disposition
// attachment with the (already checked) name, its own content type, and
// no sniffing.
func (s *Server) serveBlob(w http.ResponseWriter, sum, name, contentType string, size int64) error {
	f, err := s.blobs.Open(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	_, err = io.Copy(w, f)
	return err
}

// serveArchive sends a changeover archive as the reader may see it: whole
// when their role sees birth dates (privacy.md), otherwise rewritten
// without them as it is sent (no Content-Length then).
func (s *Server) serveArchive(w http.ResponseWriter, p auth.Principal, sum, name string, size int64) error {
	if p.Allowed(auth.ViewBirthDate) {
		return s.serveBlob(w, sum, name, "application/zip", size)
	}
	f, err := s.blobs.Open(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	lw := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", contentDisposition(name))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "private, no-store")
	}}
	err = rollover.WithoutBirthDates(lw, f, size)
	if err != nil && lw.started {
		// The headers are gone: the truncated archive tells the browser.
		s.log.Error("archive download failed", "name", name, "err", err)
		return nil
	}
	return err
}

// contentDisposition is an attachment header whose name survives every
// browser: an ASCII fallback and the UTF-8 name (RFC 6266).
func contentDisposition(name string) string {
	v := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if v == "" {
		ascii := strings.Map(func(r rune) rune {
			if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
				return '_'
			}
			return r
		}, name)
		v = fmt.Sprintf(`attachment; filename="%s"`, ascii)
	}
	return v
}

// scaleOf reads the establishment's scale.
func scaleOf(ctx context.Context, tx *store.Tx, uai sillage.UAI) (sillage.Scale, error) {
	return records.LoadScale(ctx, tx, uai)
}
