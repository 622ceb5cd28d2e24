package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// identity is the instance's signing key and its name in signed archives,
// loaded on first use (checked against the key registry like every key).
type identity struct {
	mu     sync.Mutex
	signer *signing.Signer
	issuer signedzip.Issuer
}

// identity returns the instance's signer and issuer.
func (s *Server) identity(ctx context.Context) (*signing.Signer, signedzip.Issuer, error) {
	s.ident.mu.Lock()
	defer s.ident.mu.Unlock()
	if s.ident.signer != nil {
		return s.ident.signer, s.ident.issuer, nil
	}
	signer, err := keyreg.LoadSigningKey(ctx, s.store, s.cfg.SigningKeyFile, s.cfg.DefaultSigningKeyCreate)
	if err != nil {
		return nil, signedzip.Issuer{}, err
	}
	var id string
	if err := s.store.Write(ctx, func(tx *store.Tx) (err error) { id, err = tx.Federation().InstanceID(ctx); return err }); err != nil {
		return nil, signedzip.Issuer{}, err
	}
	issuer := signedzip.Issuer{ID: id}
	if u, err := federation.NormalizeURL(s.cfg.BaseURL); err == nil {
		issuer.URL = u
	}
	s.ident.signer, s.ident.issuer = signer, issuer
	return signer, issuer, nil
}

// federationDescription publishes the instance's signed description
// (public: what peers and anyone verifying a passport read).
func (s *Server) federationDescription(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	signer, _, err := s.identity(ctx)
	if err != nil {
		return err
	}
	// A read: the instance id exists once identity ran, so a public
	// request never takes the write lock.
	var sd federation.Signed
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		sd, _, err = federation.Describe(ctx, tx, signer, s.cfg.BaseURL)
		return err
	}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sd)
}

// federationPeerRow is a declared peer as the operator's page shows it.
type federationPeerRow struct {
	sillage.FederationPeer
	Short     string
	Described bool
	Desc      federation.Description
}

func (s *Server) federationOperatorPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderFederation(w, r, req, http.StatusOK, "")
}

func (s *Server) renderFederation(w http.ResponseWriter, r *http.Request, req *Request, status int, problem string) error {
	ctx := r.Context()
	signer, _, err := s.identity(ctx)
	if err != nil {
		return err
	}
	var d federation.Description
	var peers []sillage.FederationPeer
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if _, d, err = federation.Describe(ctx, tx, signer, s.cfg.BaseURL); err != nil {
			return err
		}
		peers, err = tx.Federation().ListPeers(ctx)
		return err
	}); err != nil {
		return err
	}
	rows := make([]federationPeerRow, len(peers))
	for i, p := range peers {
		rows[i] = federationPeerRow{FederationPeer: p, Short: signing.Short(p.Fingerprint)}
		rows[i].Desc, rows[i].Described = federation.LastDescription(p)
	}
	return s.render(w, r, req, status, "federation_operator.html", "Fédération", map[string]any{
		"Self": d, "Peers": rows, "Problems": problems(problem), "FederationKey": s.cfg.FederationKeyFile != "",
		"FederationKeyFile": s.cfg.FederationKeyFile})
}

// peerClient fetches peers' descriptions: bounded in time, redirects not
// followed (a description comes from the declared address only).
func peerClient() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (s *Server) federationAddPeer(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := federation.AddPeer(ctx, s.store, r.PostFormValue("name"), r.PostFormValue("url"), r.PostFormValue("fingerprint"), req.Actor())
	if k := sillage.KindOf(err); k == sillage.KindInvalid || k == sillage.KindConflict {
		return s.renderFederation(w, r, req, http.StatusBadRequest, sillage.Message(err))
	}
	if err != nil {
		return err
	}
	msg := "Instance partenaire « " + p.Name + " » déclarée ; sa description signée a été vérifiée."
	if _, err := federation.Fetch(ctx, peerClient(), s.store, p.ID); err != nil {
		msg = "Instance partenaire « " + p.Name + " » déclarée ; sa description n'a pas pu être obtenue : " + sillage.Message(err)
	}
	return s.redirect(w, r, req, "/operateur/federation", msg)
}

// peerOf reads the peer named by the form's "peer" field.
func (s *Server) peerOf(w http.ResponseWriter, r *http.Request) (int64, error) {
	if err := parseForm(w, r); err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(r.PostFormValue("peer"), 10, 64)
	if err != nil || id <= 0 {
		return 0, sillage.Errorf(sillage.KindInvalid, "choisissez une instance partenaire")
	}
	return id, nil
}

func (s *Server) federationRemovePeer(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := s.peerOf(w, r)
	if err != nil {
		return err
	}
	p, err := federation.RemovePeer(r.Context(), s.store, id, req.Actor())
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/operateur/federation", "Instance partenaire « "+p.Name+" » retirée : plus rien n'est échangé avec elle.")
}

func (s *Server) federationFetchPeer(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := s.peerOf(w, r)
	if err != nil {
		return err
	}
	if _, err := federation.Fetch(r.Context(), peerClient(), s.store, id); err != nil {
		if sillage.KindOf(err) == sillage.KindNotFound {
			return err
		}
		return s.redirect(w, r, req, "/operateur/federation", "Description non obtenue : "+sillage.Message(err))
	}
	return s.redirect(w, r, req, "/operateur/federation", "Description obtenue et vérifiée.")
}

// MaxVerifyUpload bounds a file sent to /verifier.
func (s *Server) maxVerifyUpload() int64 { return max(s.cfg.MaxImport, s.cfg.MaxUpload) }

// verifyPage is the public page where anyone checks a passport or a
// federation package signed by this instance: it shows only valid or
// invalid, the issuer and the date.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.render(w, r, req, http.StatusOK, "verify.html", "Vérifier un document", map[string]any{"Max": sillage.FormatSize(s.maxVerifyUpload())})
}

func (s *Server) verifyUpload(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	limit := s.maxVerifyUpload()
	data := map[string]any{"Max": sillage.FormatSize(limit)}
	// Anyone may upload here: each address has a few checks a quarter of
	// an hour, counted before the upload is read.
	if ok, until, _, err := s.verifyWindow.Take(s.clientAddr(r)); err != nil {
		return err
	} else if !ok {
		data["Problems"] = []string{"Trop de vérifications depuis votre adresse : réessayez dans " + auth.RetryIn(until, s.clock.Now()) + "."}
		return s.render(w, r, req, http.StatusTooManyRequests, "verify.html", "Vérifier un document", data)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		data["Problems"] = []string{"Aucun fichier reçu : choisissez l'archive ZIP à vérifier (" + sillage.FormatSize(limit) + " au plus)."}
		return s.render(w, r, req, http.StatusBadRequest, "verify.html", "Vérifier un document", data)
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("fichier")
	if err != nil {
		data["Problems"] = []string{"Aucun fichier reçu : choisissez l'archive ZIP à vérifier."}
		return s.render(w, r, req, http.StatusBadRequest, "verify.html", "Vérifier un document", data)
	}
	defer f.Close()
	signer, _, err := s.identity(ctx)
	if err != nil {
		return err
	}
	ra, size, cleanup, err := readerAt(f, hdr.Size)
	if err != nil {
		return err
	}
	defer cleanup()
	v := federation.CheckArchive(ra, size, signer.PublicKeys())
	data["Verdict"] = v
	return s.render(w, r, req, http.StatusOK, "verify.html", "Vérifier un document", data)
}

// readerAt gives random access to an uploaded file: in memory it is one
// already; on disk, the multipart file is an *os.File.
func readerAt(f io.Reader, size int64) (io.ReaderAt, int64, func(), error) {
	if ra, ok := f.(io.ReaderAt); ok {
		return ra, size, func() {}, nil
	}
	tmp, err := os.CreateTemp("", "sillage-verifier-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup := func() { tmp.Close(); os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, f)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return tmp, n, cleanup, nil
}

func problems(p string) []string {
	if p == "" {
		return nil
	}
	return []string{p}
}
