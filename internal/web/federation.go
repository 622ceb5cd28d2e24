package web

import (
	"net/http"

	"github.com/sillage/sillage/internal/federation"
)

// federationEndpoint hands another instance's signed message to the
// federation protocol (docs/federation.md, « Protocole »): no session, no
// form; the protocol checks the signature of a declared peer and answers
// in JSON or with a signed package. It is told the sender's address as
// this server reads it behind its trusted proxies: refusals of messages
// anyone could send are counted against it.
func (s *Server) federationEndpoint(w http.ResponseWriter, r *http.Request, _ *Request) error {
	if s.federation == nil {
		writeJSONError(w, http.StatusNotFound, "cette instance ne participe à aucune fédération")
		return nil
	}
	s.federation.ServeHTTP(w, r.WithContext(federation.WithClientAddr(r.Context(), s.clientAddr(r))))
	return nil
}
