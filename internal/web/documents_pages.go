package web

import (
	"net/http"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// The student's document space ("porte-documents"): the changeover puts
// each yearly archive there; the student reads and downloads, and so do
// their parents and the staff within reach.

func (s *Server) myDocumentsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var docs []sillage.Document
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		docs, err = tx.Records().ListDocuments(ctx, req.P.UAI, req.P.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "documents.html", "Mes documents", map[string]any{"Documents": docs, "Prefix": "/mes-documents/"})
}

func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request, req *Request, studentID int64) error {
	id, err := pathID(r, "document")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var d sillage.Document
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		d, err = records.DocumentInReach(ctx, tx, whoOf(req.P), studentID, id)
		return err
	}); err != nil {
		return err
	}
	if d.Kind == sillage.DocumentArchive {
		return s.serveArchive(w, req.P, d.SHA256, d.Name, d.Size)
	}
	return s.serveBlob(w, d.SHA256, d.Name, d.ContentType, d.Size)
}

func (s *Server) downloadMyDocument(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.downloadDocument(w, r, req, req.P.PersonID)
}

// downloadStudentDocument serves a document of a student within reach
// (/eleves/{student}/documents/{document}, /mes-enfants/{student}/documents/{document}).
func (s *Server) downloadStudentDocument(w http.ResponseWriter, r *http.Request, req *Request) error {
	studentID, err := pathID(r, "student")
	if err != nil {
		return err
	}
	return s.downloadDocument(w, r, req, studentID)
}
