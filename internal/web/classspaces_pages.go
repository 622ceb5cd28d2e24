package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// Class spaces: a division's shared space where its teachers post
// documents and its students read them. At the changeover (step 2) they go
// to the trash with their rights rewritten (administrators manage them,
// every teacher reads them) and stay there one year.

type spaceRow struct {
	sillage.ClassSpace
	Right rollover.Right
}

type divisionRow struct {
	sillage.Division
	CanOpen bool
}

func (s *Server) classSpacesPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	year := sillage.SchoolYearOf(s.clock.Now())
	var live, trashed []spaceRow
	var toOpen []divisionRow
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		person, err := tx.People().GetPerson(ctx, req.P.UAI, req.P.PersonID)
		if err != nil {
			return err
		}
		for _, f := range []sillage.ClassSpaceFilter{{}, {Trashed: true}} {
			spaces, err := tx.Rollover().ListClassSpaces(ctx, req.P.UAI, f)
			if err != nil {
				return err
			}
			for _, sp := range spaces {
				right, err := rollover.SpaceAccess(ctx, tx, req.P.UAI, sp, person)
				if err != nil {
					return err
				}
				if right == rollover.RightNone {
					continue
				}
				if f.Trashed {
					trashed = append(trashed, spaceRow{sp, right})
				} else {
					live = append(live, spaceRow{sp, right})
				}
			}
		}
		if !req.P.Allowed(auth.PostClassSpace) {
			return nil
		}
		open := map[int64]bool{}
		for _, sp := range live {
			open[sp.DivisionID] = true
		}
		divs, err := tx.People().ListDivisions(ctx, req.P.UAI, year)
		if err != nil {
			return err
		}
		years, err := tx.Rollover().GetYearState(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		for _, d := range divs {
			if open[d.ID] || years.IsArchived(d.SchoolYear) {
				continue
			}
			ok, err := mayOpenSpace(ctx, tx, req.P, d.ID)
			if err != nil {
				return err
			}
			if ok {
				toOpen = append(toOpen, divisionRow{d, true})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "classspaces.html", "Espaces de classe", map[string]any{"Live": live, "Trashed": trashed, "ToOpen": toOpen})
}

// mayOpenSpace: administrators open any division's space, a teacher those
// of the divisions they teach or head.
func mayOpenSpace(ctx context.Context, tx *store.Tx, p auth.Principal, divisionID int64) (bool, error) {
	if p.Role == sillage.RoleAdministrator {
		return true, nil
	}
	if p.Role != sillage.RoleTeacher {
		return false, nil
	}
	return tx.People().TeachesDivision(ctx, p.UAI, p.PersonID, divisionID)
}

// openClassSpace opens a division's space.
func (s *Server) openClassSpace(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	divID, err := formID(r, "division")
	if err != nil {
		return err
	}
	if divID == 0 {
		return sillage.Errorf(sillage.KindInvalid, "choisissez la division dont ouvrir l'espace")
	}
	ctx := r.Context()
	var sp sillage.ClassSpace
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		d, err := tx.People().GetDivision(ctx, req.P.UAI, divID)
		if err != nil {
			return err
		}
		ok, err := mayOpenSpace(ctx, tx, req.P, d.ID)
		if err != nil {
			return err
		}
		if !ok {
			return sillage.Errorf(sillage.KindNotFound, "division introuvable")
		}
		years, err := tx.Rollover().GetYearState(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		if years.IsArchived(d.SchoolYear) {
			return sillage.Errorf(sillage.KindConflict, "l'année %s est archivée : on n'ouvre plus d'espace pour ses divisions", d.SchoolYear)
		}
		sp, err = tx.Rollover().CreateClassSpace(ctx, req.P.UAI, d.ID)
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/classes/%d", sp.ID), "Espace de la classe "+sp.DivisionCode+" ouvert.")
}

type rightRow struct {
	Person sillage.Person
	Role   string
}

func (s *Server) classSpacePage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "space")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var sp sillage.ClassSpace
	var right rollover.Right
	var files []sillage.ClassSpaceFile
	var rights []rightRow
	var staff []sillage.Person
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if sp, right, err = rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightReader); err != nil {
			return err
		}
		if files, err = tx.Rollover().ListClassSpaceFiles(ctx, req.P.UAI, sp.ID); err != nil {
			return err
		}
		if right < rollover.RightManager {
			return nil
		}
		rs, err := tx.Rollover().ListClassSpaceRights(ctx, req.P.UAI, sp.ID)
		if err != nil {
			return err
		}
		for _, x := range rs {
			p, err := tx.People().GetPerson(ctx, req.P.UAI, x.PersonID)
			if err != nil {
				return err
			}
			rights = append(rights, rightRow{p, x.Role})
		}
		for _, role := range []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleStaff} {
			ps, err := tx.People().ListPersons(ctx, req.P.UAI, sillage.PersonFilter{Role: role, ActiveOnly: true})
			if err != nil {
				return err
			}
			staff = append(staff, ps...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "classspace.html", "Espace de la classe "+sp.DivisionCode, map[string]any{
		"Space": sp, "Right": right, "Files": files, "Rights": rights, "Staff": staff,
		"CanPost": right >= rollover.RightWriter && sp.TrashedAt.IsZero(), "CanManage": right >= rollover.RightManager && sp.TrashedAt.IsZero(),
		"Limit": s.uploadLimit()})
}

// postClassSpaceFile posts a PDF or ZIP in a live space (its writers).
func (s *Server) postClassSpaceFile(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "space")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		sp, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightWriter)
		if err == nil && !sp.TrashedAt.IsZero() {
			err = sillage.Errorf(sillage.KindConflict, "cet espace est dans la corbeille : on n'y dépose plus rien")
		}
		return err
	}); err != nil {
		return err
	}
	f, err := s.receiveFile(w, r)
	if err != nil {
		return err
	}
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if _, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightWriter); err != nil {
			return err
		}
		return tx.Rollover().AddClassSpaceFile(ctx, req.P.UAI, &sillage.ClassSpaceFile{SpaceID: id, Name: f.Name, SHA256: f.Ref.SHA256, Size: f.Ref.Size,
			ContentType: f.ContentType, PostedBy: req.P.PersonID})
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/classes/%d", id), "Document « "+f.Name+" » déposé.")
}

func (s *Server) downloadClassSpaceFile(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "space")
	if err != nil {
		return err
	}
	fid, err := pathID(r, "spacefile")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var f sillage.ClassSpaceFile
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if _, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightReader); err != nil {
			return err
		}
		f, err = tx.Rollover().GetClassSpaceFile(ctx, req.P.UAI, fid)
		if err == nil && f.SpaceID != id {
			err = sillage.Errorf(sillage.KindNotFound, "document introuvable")
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.serveBlob(w, f.SHA256, f.Name, f.ContentType, f.Size)
}

// deleteClassSpaceFile removes a document: its author or a manager.
func (s *Server) deleteClassSpaceFile(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "space")
	if err != nil {
		return err
	}
	fid, err := pathID(r, "spacefile")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		if _, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightWriter); err != nil {
			return err
		}
		f, err := tx.Rollover().GetClassSpaceFile(ctx, req.P.UAI, fid)
		if err == nil && f.SpaceID != id {
			err = sillage.Errorf(sillage.KindNotFound, "document introuvable")
		}
		return err
	}); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if r.PostFormValue("confirmer") == "" {
		return sillage.Errorf(sillage.KindInvalid, "cochez la case de confirmation pour retirer le document")
	}
	var name string
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		_, right, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightWriter)
		if err != nil {
			return err
		}
		f, err := tx.Rollover().GetClassSpaceFile(ctx, req.P.UAI, fid)
		if err != nil || f.SpaceID != id {
			return sillage.Errorf(sillage.KindNotFound, "document introuvable")
		}
		if right < rollover.RightManager && f.PostedBy != req.P.PersonID {
			return sillage.Errorf(sillage.KindForbidden, "seuls l'auteur du document et les gestionnaires de l'espace peuvent le retirer")
		}
		name = f.Name
		return tx.Rollover().DeleteClassSpaceFile(ctx, req.P.UAI, fid)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/classes/%d", id), "Document « "+name+" » retiré.")
}

// setClassSpaceRight gives or removes a right (the space's managers).
func (s *Server) setClassSpaceRight(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "space")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.Read(ctx, func(tx *store.Tx) error {
		_, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightManager)
		return err
	}); err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	personID, err := formID(r, "personne")
	if err != nil {
		return err
	}
	role := strings.TrimSpace(r.PostFormValue("droit"))
	if personID == 0 || (role != "" && role != store.SpaceManager && role != store.SpaceReader) {
		return sillage.Errorf(sillage.KindInvalid, "choisissez une personne et un droit (gestionnaire, lecteur ou aucun)")
	}
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		sp, _, err := rollover.SpaceInReach(ctx, tx, req.P.UAI, req.P.PersonID, id, rollover.RightManager)
		if err != nil {
			return err
		}
		if !sp.TrashedAt.IsZero() {
			return sillage.Errorf(sillage.KindConflict, "les droits d'un espace dans la corbeille sont ceux du changement d'année")
		}
		p, err := tx.People().GetPerson(ctx, req.P.UAI, personID)
		if err != nil {
			return err
		}
		if p.Role == sillage.RoleStudent || p.Role == sillage.RoleParent {
			return sillage.Errorf(sillage.KindInvalid, "les élèves de la division lisent l'espace d'eux-mêmes ; les responsables n'y ont pas accès")
		}
		return tx.Rollover().SetClassSpaceRight(ctx, req.P.UAI, sp.ID, p.ID, role)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/classes/%d", id), "Droits de l'espace modifiés.")
}
