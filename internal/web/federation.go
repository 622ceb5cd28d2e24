package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/store"
)

// federationEndpoint hands another instance's signed message to the
// federation protocol (docs/federation.md, « Protocole »): no session, no
// form; the protocol checks the signature of a declared peer and answers
// in JSON or with a signed package.
//
// Anyone may post here, and every refused message is audited: an address
// whose messages were refused federationRefusalsPerWindow times in a
// quarter of an hour is turned away unexamined until the oldest refusal
// leaves the window, and the limit is audited once.
func (s *Server) federationEndpoint(w http.ResponseWriter, r *http.Request, _ *Request) error {
	if s.federation == nil {
		writeJSONError(w, http.StatusNotFound, "cette instance ne participe à aucune fédération")
		return nil
	}
	addr := s.clientAddr(r)
	if over, until, err := s.federationWindow.Over(addr); err != nil {
		return err
	} else if over {
		tooMany(w, s, until, "trop de messages refusés depuis cette adresse")
		return nil
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.federation.ServeHTTP(rec, r)
	if rec.status < 400 || rec.status >= 500 {
		return nil
	}
	_, until, reached, err := s.federationWindow.Take(addr)
	if err != nil {
		s.log.Error("federation refusal not counted", "addr", addr, "err", err)
		return nil
	}
	if reached {
		details := fmt.Sprintf("%d messages refusés en 15 minutes depuis l'adresse %s : les suivants sont refusés sans examen pendant %s",
			federationRefusalsPerWindow, addr, auth.RetryIn(until, s.clock.Now()))
		if err := s.store.Write(r.Context(), func(tx *store.Tx) error {
			return audit.Record(r.Context(), tx, "", audit.System, audit.FederationRefused, "adresse "+addr, details)
		}); err != nil {
			s.log.Error("federation limit not audited", "addr", addr, "err", err)
		}
	}
	return nil
}

// tooMany answers 429 in JSON with the wait, in words and in Retry-After.
func tooMany(w http.ResponseWriter, s *Server, until time.Time, what string) {
	now := s.clock.Now()
	w.Header().Set("Retry-After", strconv.FormatInt(max(1, int64(math.Ceil(until.Sub(now).Seconds()))), 10))
	writeJSONError(w, http.StatusTooManyRequests, what+" : réessayez dans "+auth.RetryIn(until, now)+".")
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}
