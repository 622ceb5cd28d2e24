package web

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/instance"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request, req *Request) error {
	if r.URL.Path != "/" {
		return sillage.Errorf(sillage.KindNotFound, "introuvable")
	}
	ctx := r.Context()
	var unread int
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		unread, err = tx.Accounts().CountUnreadMessages(ctx, req.P.UAI, req.P.PersonID)
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
	var msgs []sillage.InboxMessage
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		msgs, err = tx.Accounts().ListMessages(ctx, req.P.UAI, req.P.PersonID)
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
	var m sillage.InboxMessage
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Accounts().SetMessageRead(ctx, req.P.UAI, req.P.PersonID, id); err != nil {
			return err
		}
		m, err = tx.Accounts().GetMessage(ctx, req.P.UAI, req.P.PersonID, id)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "message.html", m.Subject, map[string]any{"Message": m})
}

func (s *Server) operatorHome(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var o instance.Overview
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		o, err = instance.Establishments(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	sort.Slice(o.Rows, func(i, j int) bool { return o.Rows[i].Name < o.Rows[j].Name })
	return s.render(w, r, req, http.StatusOK, "operator.html", "Établissements de l'instance", map[string]any{"Rows": o.Rows, "Total": o.Total, "Kinds": sillage.EstablishmentKinds})
}

// setEstablishmentKind records the kind the operator chose on their page,
// as the command line does (instance.SetKind, audited in the
// establishment's journal); the flash says whether the Livret Scolaire
// Unique now concerns the establishment, since that is why the kind matters.
func (s *Server) setEstablishmentKind(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	uai, err := sillage.ParseUAI(r.PostFormValue("uai"))
	if err != nil {
		return err
	}
	kind, err := sillage.ParseEstablishmentKind(r.PostFormValue("type"))
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return instance.SetKind(ctx, tx, uai, kind, req.Actor())
	})
	if err != nil {
		return fmt.Errorf("set the kind of %s: %w", uai, err)
	}
	lsu := "ne le concerne pas"
	if livret.Applies(sillage.Establishment{UAI: uai, Kind: kind}) {
		lsu = "lui est proposé"
	}
	return s.redirect(w, r, req, "/operateur", fmt.Sprintf("Type de l'établissement enregistré : %s — le Livret Scolaire Unique %s.", strings.ToLower(kind.Label()), lsu))
}
