package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
)

// The administrators' page of the records JSON import and export, the same
// operations as `sillage records import|export` and the API.

func (s *Server) recordsBulkPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.render(w, r, req, http.StatusOK, "records_bulk.html", "Livrets : import et export JSON", map[string]any{
		"MaxImport": sillage.FormatSize(s.cfg.MaxImport)})
}

func (s *Server) recordsBulkExport(w http.ResponseWriter, r *http.Request, req *Request) error {
	eleve := strings.TrimSpace(r.URL.Query().Get("eleve_id"))
	name := "livrets-" + string(req.P.UAI) + ".json"
	if eleve != "" {
		name = "livret-" + string(req.P.UAI) + "-" + eleve + ".json"
	}
	lw := &lazyHeaders{w: w, set: func(h http.Header) {
		h.Set("Content-Type", "application/json; charset=utf-8")
		h.Set("Content-Disposition", contentDisposition(name))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "private, no-store")
	}}
	err := records.Export(r.Context(), s.store, records.ExportRequest{UAI: req.P.UAI, EleveID: eleve, Actor: req.Actor(), ExternalIDs: true}, lw)
	if err != nil && lw.started {
		s.log.Error("records export failed", "uai", req.P.UAI, "err", err)
		return nil
	}
	return err
}

func (s *Server) recordsBulkImport(w http.ResponseWriter, r *http.Request, req *Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxImport+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez un fichier JSON de livrets")
	}
	dry := false
	var rep *records.Report
	for {
		part, err := mr.NextPart()
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.cfg.MaxImport))
			}
			break
		}
		switch part.FormName() {
		case "simulation":
			dry = true
		case "fichier":
			if part.FileName() == "" {
				continue
			}
			if rep, err = s.importRecordsFrom(r, req, part, dry); err != nil {
				return err
			}
		}
		part.Close()
	}
	if rep == nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez un fichier JSON de livrets")
	}
	return s.render(w, r, req, http.StatusOK, "records_bulk.html", "Livrets : rapport d'import", map[string]any{
		"MaxImport": sillage.FormatSize(s.cfg.MaxImport), "Report": rep})
}
