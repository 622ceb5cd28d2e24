package web

import (
	"net/http"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
)

// The establishment's access blocking (rollover.md step 4): its
// administrators shorten or lengthen their window and edit the message,
// within the limits the operator set.

type blockingPageData struct {
	Year      sillage.SchoolYear
	Calendar  rollover.Calendar
	Override  rollover.Override
	Effective rollover.BlockingWindow
	Preview   string
}

func (s *Server) blockingPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := blockingPageData{Year: year}
	err = s.store.Read(ctx, func(tx *store.Tx) error {
		if d.Calendar, err = rollover.LoadCalendar(ctx, tx, year); err != nil {
			return err
		}
		if d.Override, err = rollover.GetOverride(ctx, tx, req.P.UAI, year); err != nil {
			return err
		}
		d.Effective, err = rollover.EffectiveBlocking(ctx, tx, req.P.UAI, d.Calendar)
		return err
	})
	if err != nil {
		return err
	}
	d.Preview = d.Effective.Message()
	return s.render(w, r, req, http.StatusOK, "blocking.html", "Blocage des accès à la rentrée", d)
}

func (s *Server) blockingSave(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year, err := s.rolloverYear(r)
	if err != nil {
		return err
	}
	var o rollover.Override
	if r.PostFormValue("retablir") == "" {
		if o.From, err = sillage.ParseDate(r.PostFormValue("du")); err != nil {
			return err
		}
		if o.Until, err = sillage.ParseDate(r.PostFormValue("au")); err != nil {
			return err
		}
		o.Message = strings.ReplaceAll(r.PostFormValue("message"), "\r\n", "\n")
		if o.From.IsZero() && o.Until.IsZero() && strings.TrimSpace(o.Message) == "" {
			return sillage.Errorf(sillage.KindInvalid, "donnez les dates du blocage ou un message, ou revenez au paramétrage de l'opérateur")
		}
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		cal, err := rollover.LoadCalendar(ctx, tx, year)
		if err != nil {
			return err
		}
		if err := rollover.SetOverride(ctx, tx, req.P.UAI, cal, o); err != nil {
			return err
		}
		details := "paramétrage de l'opérateur rétabli"
		if !o.From.IsZero() {
			details = "du " + o.From.French() + " au " + o.Until.French()
		}
		if o.Message != "" {
			details += ", message modifié"
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), rollover.AuditBlockingAction, "Blocage des accès "+(year+1).String(), details)
	})
	if err != nil {
		return err
	}
	s.blockingChanged(req.P.UAI)
	return s.redirect(w, r, req, "/changement-annee/blocage", "Blocage des accès enregistré.")
}
