package web

import (
	"net/http"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// The establishment's Archives space: the class archives the changeover
// writes each summer (a legal record, kept for the archive retention), for
// the direction and the administrators to list and download.

type archiveYear struct {
	Year     sillage.SchoolYear
	Archives []sillage.Archive
	Size     int64
}

func (s *Server) archivesPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var list []sillage.Archive
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { list, err = tx.Records().ListArchives(ctx, req.P.UAI); return err }); err != nil {
		return err
	}
	var years []archiveYear
	for _, a := range list {
		if len(years) == 0 || years[len(years)-1].Year != a.SchoolYear {
			years = append(years, archiveYear{Year: a.SchoolYear})
		}
		y := &years[len(years)-1]
		y.Archives = append(y.Archives, a)
		y.Size += a.Size
	}
	return s.render(w, r, req, http.StatusOK, "archives.html", "Archives", map[string]any{"Years": years, "Retention": s.cfg.Retention.ArchiveYears})
}

// downloadArchive serves an archive; the download is logged (the archive
// holds the results of a whole class).
func (s *Server) downloadArchive(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "archive")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var a sillage.Archive
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if a, err = tx.Records().GetArchive(ctx, req.P.UAI, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.RecordDownloaded, "Archive "+a.Name, "")
	})
	if err != nil {
		return err
	}
	return s.serveArchive(w, req.P, a.SHA256, a.Name, a.Size)
}
