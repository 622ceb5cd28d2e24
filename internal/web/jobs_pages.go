package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// JobQueue is the durable job queue as the operator's page uses it
// (internal/jobs.Queue).
type JobQueue interface {
	List(ctx context.Context, limit int) ([]jobs.Job, error)
	EnqueueTransfer(ctx context.Context, trigger string, uais []sillage.UAI) (int64, error)
	EnqueueTransferTx(ctx context.Context, tx *store.Tx, trigger string, uais []sillage.UAI) (int64, error)
	EnqueuePurge(ctx context.Context, trigger string) (int64, error)
}

type jobsPageData struct {
	Queue bool
	Jobs  []jobs.Job
	Sweep string
	Purge string
}

var weekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

func (s *Server) jobsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	d := jobsPageData{Queue: s.hooks.Jobs != nil, Sweep: s.cfg.TransferSweepAt, Purge: weekdays[s.cfg.PurgeWeekday]}
	if s.hooks.Jobs != nil {
		var err error
		if d.Jobs, err = s.hooks.Jobs.List(r.Context(), 50); err != nil {
			return err
		}
	}
	return s.render(w, r, req, http.StatusOK, "jobs.html", "Tâches", d)
}

// runTransferNow queues a transfer run (or, without a queue, runs it in
// the request).
func (s *Server) runTransferNow(w http.ResponseWriter, r *http.Request, req *Request) error {
	if s.hooks.Jobs != nil {
		id, err := s.hooks.Jobs.EnqueueTransfer(r.Context(), jobs.TriggerOperator, nil)
		if err != nil {
			return err
		}
		return s.redirect(w, r, req, "/operateur/taches", fmt.Sprintf("Transfert des dossiers lancé (tâche n° %d).", id))
	}
	rep, err := transfer.Run(r.Context(), s.store, transfer.Options{Retention: s.cfg.Retention, Logger: s.log})
	if rep == nil {
		return err
	}
	return s.redirect(w, r, req, "/operateur/taches", fmt.Sprintf("Transfert des dossiers effectué : %d transféré(s), %d impossible(s), %d en attente, %d en échec.",
		len(rep.Transferred), len(rep.Impossible), len(rep.Pending), len(rep.Errors)))
}

// runTransferForEstablishment is the dashboard's "run a pass now" of a
// director or an administrator whose establishment has enabled the
// transfer: queued (or, without a queue, run in the request) for their
// establishment.
func (s *Server) runTransferForEstablishment(w http.ResponseWriter, r *http.Request, req *Request) error {
	if !req.Establish.Transfer.Enabled {
		return sillage.Errorf(sillage.KindConflict, "activez d'abord le transfert des données des élèves (paramètres du transfert)")
	}
	if s.hooks.Jobs != nil {
		if _, err := s.hooks.Jobs.EnqueueTransfer(r.Context(), jobs.TriggerEstablishment, []sillage.UAI{req.P.UAI}); err != nil {
			return err
		}
		return s.redirect(w, r, req, "/transferts", "Passage du transfert lancé : le tableau se met à jour dans quelques instants.")
	}
	// Without a queue (a single server, the tests) the pass runs here; its
	// report spans the instance, so only the establishment's lists show.
	if rep, err := transfer.Run(r.Context(), s.store, transfer.Options{Retention: s.cfg.Retention, Logger: s.log}); rep == nil {
		return err // a failed transfer shows on the dashboard; a run that could not start does not
	}
	s.dashboard.forget(req.P.UAI)
	return s.redirect(w, r, req, "/transferts", "Passage du transfert effectué : les listes ci-dessous sont à jour.")
}

// runPurgeNow queues a purge (or, without a queue, runs it in the request).
func (s *Server) runPurgeNow(w http.ResponseWriter, r *http.Request, req *Request) error {
	if s.hooks.Jobs != nil {
		id, err := s.hooks.Jobs.EnqueuePurge(r.Context(), jobs.TriggerOperator)
		if err != nil {
			return err
		}
		return s.redirect(w, r, req, "/operateur/taches", fmt.Sprintf("Purge lancée (tâche n° %d).", id))
	}
	rep, err := transfer.Purge(r.Context(), s.store, transfer.Options{Retention: s.cfg.Retention, Logger: s.log})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/operateur/taches", fmt.Sprintf("Purge effectuée : %d élève(s) supprimé(s).", rep.Students))
}
