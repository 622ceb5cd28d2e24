package web

import (
	"net/http"
	"sort"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request, req *Request) error {
	if r.URL.Path != "/" {
		return sillage.Errorf(sillage.KindNotFound, "introuvable")
	}
	ctx := r.Context()
	var unread int
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		unread, err = tx.CountUnreadMessages(ctx, req.P.UAI, req.P.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "home.html", "Accueil", map[string]any{"Unread": unread})
}

// root sends each principal to their first page.
func (s *Server) root(w http.ResponseWriter, r *http.Request, req *Request) error {
	switch {
	case r.URL.Path != "/":
		return sillage.Errorf(sillage.KindNotFound, "introuvable")
	case req.P.AccountID == 0:
		http.Redirect(w, r, "/connexion", http.StatusSeeOther)
		return nil
	case req.P.Operator:
		http.Redirect(w, r, "/operateur", http.StatusSeeOther)
		return nil
	case req.P.Departed:
		http.Redirect(w, r, "/depart", http.StatusSeeOther)
		return nil
	}
	if to := s.gate(r, route{}, req); to != "" {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if blocked, msg := s.accessBlocked(r.Context(), req); blocked {
		s.renderBlocked(w, r, req, msg)
		return nil
	}
	return s.home(w, r, req)
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var msgs []store.Message
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		msgs, err = tx.ListMessages(ctx, req.P.UAI, req.P.PersonID)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "messages.html", "Messages", map[string]any{"Messages": msgs})
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "message")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var m store.Message
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetMessageRead(ctx, req.P.UAI, req.P.PersonID, id); err != nil {
			return err
		}
		m, err = tx.GetMessage(ctx, req.P.UAI, req.P.PersonID, id)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "message.html", m.Subject, map[string]any{"Message": m})
}

// establishmentRow is a line of the operator's first page.
type establishmentRow struct {
	sillage.Establishment
	Counts sillage.EstablishmentCounts
}

func (s *Server) operatorHome(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var rows []establishmentRow
	var total sillage.EstablishmentCounts
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		es, err := tx.ListEstablishments(ctx)
		if err != nil {
			return err
		}
		counts, err := tx.AllEstablishmentCounts(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			c := counts[e.UAI]
			rows = append(rows, establishmentRow{e, c})
			total.Students += c.Students
			total.ActiveStudents += c.ActiveStudents
			total.Teachers += c.Teachers
			total.Parents += c.Parents
			total.Divisions += c.Divisions
			total.Evaluations += c.Evaluations
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return s.render(w, r, req, http.StatusOK, "operator.html", "Établissements de l'instance", map[string]any{"Rows": rows, "Total": total})
}
