package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/records"
)

// receivedFile is an uploaded file, checked and stored in the blob store.
type receivedFile struct {
	Name        string
	ContentType string
	Ref         blob.Ref
}

// receiveFile reads the multipart field "fichier", checks it (PDF, ZIP or
// photo judged from the content, size limit, safe name, no bomb-shaped
// ZIP), strips a photo's metadata and stores it in the blob store. A
// refused file leaves nothing behind.
func (s *Server) receiveFile(w http.ResponseWriter, r *http.Request) (receivedFile, error) {
	limit := s.uploadLimit()
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return receivedFile{}, sillage.Errorf(sillage.KindInvalid, "fichier trop volumineux : la limite est de %s", sillage.FormatSize(limit))
		}
		return receivedFile{}, sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez un fichier PDF, ZIP ou une photo (JPEG, PNG, WebP)")
	}
	defer r.MultipartForm.RemoveAll()
	file, hdr, err := r.FormFile("fichier")
	if err != nil {
		return receivedFile{}, sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez un fichier PDF, ZIP ou une photo (JPEG, PNG, WebP)")
	}
	defer file.Close()
	// The name as sent (the multipart reader keeps only its last element,
	// which would hide a "../").
	name := hdr.Filename
	if _, params, err := mime.ParseMediaType(hdr.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		name = params["filename"]
	}
	name, ctype, err := records.CheckFile(name, file, hdr.Size, records.DefaultLimits(limit))
	if err != nil {
		return receivedFile{}, err
	}
	if _, err := file.Seek(0, 0); err != nil {
		return receivedFile{}, err
	}
	var content io.Reader = file
	if records.IsPhoto(ctype) {
		// A photo is stored without its metadata (GPS position...).
		data, err := io.ReadAll(file)
		if err != nil {
			return receivedFile{}, err
		}
		if data, err = records.CleanPhoto(name, ctype, data); err != nil {
			return receivedFile{}, err
		}
		content = bytes.NewReader(data)
	}
	ref, err := s.blobs.Put(content)
	if err != nil {
		return receivedFile{}, err
	}
	return receivedFile{Name: name, ContentType: ctype, Ref: ref}, nil
}
