package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/passport"
	"github.com/sillage/sillage/internal/store"
)

// A departed student (deactivated by an import, within
// Retention.DepartedAccessMonths) signs in with their former credentials
// and sees one page: the download of their record (transfer.md 8).

type departedData struct {
	Name         string
	Establish    string
	LeftAt       time.Time
	AccessEnds   time.Time
	AccessMonths int
}

func (s *Server) departedPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var p sillage.Person
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		p, err = tx.People().GetPerson(ctx, req.P.UAI, req.P.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	d := departedData{Name: p.FirstName + " " + p.LastName, Establish: req.Establish.Name, LeftAt: p.DeactivatedAt,
		AccessEnds: s.cfg.Retention.DepartedAccessEnds(p.DeactivatedAt), AccessMonths: s.cfg.Retention.DepartedAccessMonths}
	return s.render(w, r, req, http.StatusOK, "departed.html", "Télécharger mon livret", d)
}

// departedDownload streams the student's full record (passport.Write) as
// one ZIP; the download is audited before the first byte.
func (s *Server) departedDownload(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	signer, issuer, err := s.identity(ctx) // the passport is signed by the instance
	if err != nil {
		return err
	}
	var p sillage.Person
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if p, err = tx.People().GetPerson(ctx, req.P.UAI, req.P.PersonID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.RecordDownloaded, p.FullName(), "dossier complet (ZIP), élève parti")
	})
	if err != nil {
		return err
	}
	name := "livret-" + passport.Clean(strings.ToLower(p.LastName+"-"+p.FirstName), "eleve") + ".zip"
	dw := &departedWriter{w: w, name: strings.ReplaceAll(name, " ", "-")}
	err = passport.Write(ctx, s.store, s.blobs, req.P.UAI, req.P.PersonID, dw, passport.Options{BirthDate: true, Signer: signer, Issuer: issuer}) // their own
	if err != nil && dw.started {
		s.log.Error("departed record download failed", "uai", req.P.UAI, "student", req.P.PersonID, "err", err)
		return nil // the truncated archive tells the browser
	}
	return err
}

// departedWriter sets the download's headers with its first byte, so a
// failure before it is still answered as an error page.
type departedWriter struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *departedWriter) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		h := d.w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		h.Set("Cache-Control", "private, no-store")
	}
	return d.w.Write(p)
}
