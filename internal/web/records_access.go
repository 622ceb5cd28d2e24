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

// The reach of each role over students (privacy.md), checked with the
// establishment: a student sees themself, a parent the students they are
// legal guardian of, a teacher the students of their divisions and
// groups, the director and the administrator every student. Out of reach
// is "not found", never "forbidden": nothing says the student exists.

// studentInReach returns a student of the principal's establishment within
// their reach.
func studentInReach(ctx context.Context, tx *store.Tx, p auth.Principal, studentID int64) (sillage.Student, error) {
	st, err := tx.GetStudent(ctx, p.UAI, studentID)
	if err != nil {
		return st, err
	}
	ok, err := reaches(ctx, tx, p, studentID)
	if err != nil {
		return st, err
	}
	if !ok {
		return sillage.Student{}, sillage.Errorf(sillage.KindNotFound, "élève introuvable")
	}
	return st, nil
}

func reaches(ctx context.Context, tx *store.Tx, p auth.Principal, studentID int64) (bool, error) {
	switch p.Role {
	case sillage.RoleStudent:
		return p.PersonID == studentID, nil
	case sillage.RoleParent:
		return tx.IsGuardianOf(ctx, p.UAI, p.PersonID, studentID)
	case sillage.RoleTeacher:
		return tx.TeachesStudent(ctx, p.UAI, p.PersonID, studentID)
	case sillage.RoleDirector, sillage.RoleAdministrator:
		return true, nil
	}
	return false, nil
}

// studentsInReach lists the students a member of staff may see (nil
// filter: director and administrator see everyone).
func studentsInReach(ctx context.Context, tx *store.Tx, p auth.Principal, f store.StudentFilter) ([]sillage.Student, error) {
	if p.Role == sillage.RoleTeacher {
		ids, err := tx.TeacherStudentIDs(ctx, p.UAI, p.PersonID)
		if err != nil {
			return nil, err
		}
		if ids == nil {
			ids = []int64{}
		}
		f.IDs = ids
	} else if p.Role != sillage.RoleDirector && p.Role != sillage.RoleAdministrator {
		return nil, nil
	}
	return tx.ListStudents(ctx, p.UAI, f)
}

// divisionsInReach lists the divisions whose evaluations a member of staff
// handles: a teacher's own (taught or headed), every division for an
// administrator.
func divisionsInReach(ctx context.Context, tx *store.Tx, p auth.Principal) ([]sillage.Division, error) {
	all, err := tx.ListDivisions(ctx, p.UAI, 0)
	if err != nil || p.Role == sillage.RoleAdministrator || p.Role == sillage.RoleDirector {
		return all, err
	}
	ids, err := tx.TeacherDivisionIDs(ctx, p.UAI, p.PersonID)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	var out []sillage.Division
	for _, d := range all {
		if mine[d.ID] {
			out = append(out, d)
		}
	}
	return out, nil
}

// evaluationInReach returns a live evaluation the principal may see: an
// administrator every one; a teacher those they wrote and those of the
// divisions they teach.
func evaluationInReach(ctx context.Context, tx *store.Tx, p auth.Principal, id int64) (sillage.Evaluation, error) {
	e, err := tx.GetEvaluation(ctx, p.UAI, id)
	if err != nil {
		return e, err
	}
	if !e.DeletedAt.IsZero() {
		return sillage.Evaluation{}, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
	}
	switch {
	case p.Role == sillage.RoleAdministrator, p.Role == sillage.RoleTeacher && e.AuthorID == p.PersonID:
		return e, nil
	case p.Role == sillage.RoleTeacher && e.DivisionID != 0:
		ok, err := tx.TeachesDivision(ctx, p.UAI, p.PersonID, e.DivisionID)
		if err != nil || ok {
			return e, err
		}
	}
	return sillage.Evaluation{}, sillage.Errorf(sillage.KindNotFound, "évaluation introuvable")
}

// mayEditEvaluation: its author and the administrators change an
// evaluation; the other teachers of the division read it.
func mayEditEvaluation(p auth.Principal, e sillage.Evaluation) bool {
	return p.Role == sillage.RoleAdministrator || p.PersonID == e.AuthorID
}

// sheetInReach returns a live sheet whose student is within the
// principal's reach.
func sheetInReach(ctx context.Context, tx *store.Tx, p auth.Principal, id int64) (sillage.Sheet, error) {
	sh, err := tx.GetSheet(ctx, p.UAI, id)
	if err != nil {
		return sh, err
	}
	if !sh.DeletedAt.IsZero() {
		return sillage.Sheet{}, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	ok, err := reaches(ctx, tx, p, sh.StudentID)
	if err != nil {
		return sh, err
	}
	if !ok {
		return sillage.Sheet{}, sillage.Errorf(sillage.KindNotFound, "fiche introuvable")
	}
	return sh, nil
}

// attachmentInReach returns an attachment of a live sheet within reach.
func attachmentInReach(ctx context.Context, tx *store.Tx, p auth.Principal, id int64) (sillage.Attachment, sillage.Sheet, error) {
	a, err := tx.GetAttachment(ctx, p.UAI, id)
	if err != nil {
		return a, sillage.Sheet{}, err
	}
	sh, err := sheetInReach(ctx, tx, p, a.SheetID)
	if err != nil {
		return sillage.Attachment{}, sh, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	return a, sh, nil
}

// documentInReach returns a live document of a student within reach.
func documentInReach(ctx context.Context, tx *store.Tx, p auth.Principal, studentID, id int64) (sillage.Document, error) {
	d, err := tx.GetDocument(ctx, p.UAI, id)
	if err != nil {
		return d, err
	}
	if d.StudentID != studentID || !d.DeletedAt.IsZero() {
		return sillage.Document{}, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	if _, err := studentInReach(ctx, tx, p, studentID); err != nil {
		return sillage.Document{}, sillage.Errorf(sillage.KindNotFound, "document introuvable")
	}
	return d, nil
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
