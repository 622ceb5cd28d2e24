package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// The trash: deleted evaluations, sheets and documents stay restorable
// until the changeover's first step purges them. An administrator sees
// and restores everything; a teacher the evaluations they wrote and what
// they deleted themselves.

type trashRow struct {
	sillage.TrashItem
	KindLabel string
	Owner     string
	DeletedBy string
}

func mayRestore(p auth.Principal, it sillage.TrashItem) bool {
	switch {
	case p.Role == sillage.RoleAdministrator:
		return true
	case p.Role != sillage.RoleTeacher:
		return false
	case it.Kind == sillage.TrashEvaluation:
		return it.OwnerID == p.PersonID || it.DeletedBy == p.PersonID
	case it.Kind == sillage.TrashSheet:
		return it.DeletedBy == p.PersonID
	}
	return false
}

func (s *Server) trashItems(ctx context.Context, tx *store.Tx, p auth.Principal) ([]trashRow, error) {
	items, err := tx.Records().ListTrash(ctx, p.UAI)
	if err != nil {
		return nil, err
	}
	var rows []trashRow
	ids := map[int64]bool{}
	for _, it := range items {
		if mayRestore(p, it) {
			rows = append(rows, trashRow{TrashItem: it, KindLabel: it.Kind.Label()})
			ids[it.OwnerID], ids[it.DeletedBy] = true, true
		}
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	persons, err := tx.People().ListPersons(ctx, p.UAI, sillage.PersonFilter{IDs: list})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, pp := range persons {
		names[pp.ID] = pp.FullName()
	}
	for i := range rows {
		rows[i].Owner, rows[i].DeletedBy = names[rows[i].OwnerID], names[rows[i].TrashItem.DeletedBy]
	}
	return rows, nil
}

func (s *Server) trashPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var rows []trashRow
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		rows, err = s.trashItems(ctx, tx, req.P)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "trash.html", "Corbeille", map[string]any{"Rows": rows, "Admin": req.P.Role == sillage.RoleAdministrator})
}

// restoreFromTrash takes an item out of the trash (form: type, id).
func (s *Server) restoreFromTrash(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	kind := sillage.TrashKind(strings.TrimSpace(r.FormValue("type")))
	id, err := formID(r, "id")
	if err != nil {
		return err
	}
	if id == 0 || (kind != sillage.TrashEvaluation && kind != sillage.TrashSheet && kind != sillage.TrashDocument) {
		return sillage.Errorf(sillage.KindInvalid, "choisissez l'élément à restaurer")
	}
	ctx := r.Context()
	var label string
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		items, err := tx.Records().ListTrash(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		var item *sillage.TrashItem
		for i := range items {
			if items[i].Kind == kind && items[i].ID == id {
				item = &items[i]
			}
		}
		if item == nil || !mayRestore(req.P, *item) {
			return sillage.Errorf(sillage.KindNotFound, "élément introuvable dans la corbeille")
		}
		label = item.Label
		var action string
		switch kind {
		case sillage.TrashEvaluation:
			err, action = tx.Records().RestoreEvaluation(ctx, req.P.UAI, id), audit.EvaluationRestored
		case sillage.TrashSheet:
			err, action = tx.Records().RestoreSheet(ctx, req.P.UAI, id), records.AuditSheetRestored
		case sillage.TrashDocument:
			err, action = tx.Records().RestoreDocument(ctx, req.P.UAI, id), records.AuditDocumentRestored
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), action, item.Label, kind.Label()+" restauré(e)")
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/corbeille", fmt.Sprintf("« %s » est restauré(e).", label))
}
