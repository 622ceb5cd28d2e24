package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// maxMessage bounds the body of a request or a receipt.
const maxMessage = 64 << 10

// Handler serves the origin's endpoints: no session, only signed messages
// of declared peers.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathRequest, n.serveRequest)
	mux.HandleFunc("POST "+PathReceipt, n.serveReceipt)
	return mux
}

// Routes lists the endpoints (for the server's route table).
var Routes = []string{"POST " + PathRequest, "POST " + PathReceipt}

func refuse(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	switch sillage.KindOf(err) {
	case sillage.KindForbidden:
		code = http.StatusForbidden
	case sillage.KindConflict:
		code = http.StatusConflict
	case sillage.KindNotFound:
		code = http.StatusNotFound
	case sillage.KindUnavailable:
		code = http.StatusServiceUnavailable
	case sillage.KindInvalid:
	default:
		code = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(Refusal{Error: sillage.Message(err)})
}

// open reads a signed envelope from a peer: decoded, signed by a declared
// peer's key for purpose. It returns the peer.
func (n *Node) open(ctx context.Context, r *http.Request, purpose string, into any) (Peer, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMessage+1))
	if err != nil {
		return Peer{}, sillage.Errorf(sillage.KindInvalid, "message illisible")
	}
	if len(body) > maxMessage {
		return Peer{}, sillage.Errorf(sillage.KindInvalid, "message trop long")
	}
	var env signing.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Peer{}, sillage.Errorf(sillage.KindInvalid, "message illisible : ce n'est pas une enveloppe signée")
	}
	peer, err := n.peerOf(ctx, env.Signature.KeyID)
	if err != nil {
		return Peer{}, err
	}
	if err := signing.Open(peer.Keys, purpose, env, into); err != nil {
		return peer, err
	}
	return peer, nil
}

func (n *Node) writeEnvelope(w http.ResponseWriter, purpose string, payload any) {
	env, err := n.Signer.Seal(purpose, payload)
	if err != nil {
		refuse(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(env)
}

// serveRequest answers a destination's request (origin side).
func (n *Node) serveRequest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req Request
	peer, err := n.open(ctx, r, PurposeRequest, &req)
	opened := err == nil
	if err == nil {
		err = n.checkAudience(ctx, req.Audience)
	}
	if err == nil {
		err = n.checkTimes(req.IssuedAt, req.ExpiresAt)
	}
	if err == nil {
		err = n.seeNonce(ctx, peer.Name, req.Nonce, req.ExpiresAt)
	}
	if err == nil && (req.RequestID == "" || len(req.FedHashes) == 0 || len(req.FedHashes) > 16 || !validUAI(req.DestUAI)) {
		err = sillage.Errorf(sillage.KindInvalid, "demande incomplète")
	}
	if err == nil && !peer.Serves(req.DestUAI) {
		err = sillage.Errorf(sillage.KindForbidden, "demande pour l'établissement %s, que l'instance %s ne sert pas", req.DestUAI, peer.Name)
	}
	if err != nil {
		n.refusedMessage(ctx, r, "", peer, opened, "demande de dossier", err)
		refuse(w, err)
		return
	}
	if err := n.fp(StepRequestReceived); err != nil {
		refuse(w, err)
		return
	}
	ans, pkg, err := n.answer(ctx, peer, req)
	if err != nil {
		n.log().Error("federation request failed", "peer", peer.Name, "request", req.RequestID, "err", err)
		refuse(w, err)
		return
	}
	if err := n.fp(StepServed); err != nil {
		refuse(w, err) // the answer is lost: the destination asks again
		return
	}
	if pkg != nil {
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Length", fmt.Sprint(len(pkg)))
		w.Write(pkg)
		return
	}
	n.writeEnvelope(w, PurposeAnswer, ans)
}

func from(p Peer, r *http.Request) string {
	if p.Name != "" {
		return p.Name
	}
	return "inconnue (" + clientAddr(r) + ")"
}

// Throttle counts events per address (auth.Window): Take reports whether
// the address still had one, and reached when this one was its last.
type Throttle interface {
	Take(addr string) (ok bool, until time.Time, reached bool, err error)
}

type clientAddrKey struct{}

// WithClientAddr tells the handler the address a request comes from, as
// the server reads it behind its trusted proxies.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// clientAddr is the request's address: the server's reading, else the
// connection's host.
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// refusedMessage audits a refused incoming message. One that did not open
// (unsigned, unknown key, bad signature: anyone can send it) is counted
// against its address by n.Refusals: past the limit, refusals from that
// address are still refused and logged but no longer audited, and the
// limit is audited once. A declared peer's signed messages are always
// audited: their refusals say something about that peer.
func (n *Node) refusedMessage(ctx context.Context, r *http.Request, uai sillage.UAI, peer Peer, opened bool, what string, cause error) {
	if opened || n.Refusals == nil {
		n.refused(ctx, uai, from(peer, r), what, cause)
		return
	}
	addr := clientAddr(r)
	ok, until, reached, err := n.Refusals.Take(addr)
	if err != nil {
		n.log().Error("federation refusal not counted", "addr", addr, "err", err)
	}
	if !ok && err == nil {
		n.log().Debug("federation message refused, not audited (limit of the address)", "addr", addr, "what", what, "err", cause)
		return
	}
	n.refused(ctx, uai, "inconnue ("+addr+")", what, cause)
	if reached {
		details := fmt.Sprintf("limite de messages refusés atteinte pour l'adresse %s : les suivants ne sont plus inscrits au journal jusqu'au %s",
			addr, sillage.FormatDateTime(until))
		if err := n.Store.Write(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, "", audit.System, audit.FederationRefused, "adresse "+addr, details)
		}); err != nil {
			n.log().Error("federation limit not audited", "addr", addr, "err", err)
		}
	}
}

// answer applies transfer.md's conditions to a request and builds the
// package when they hold; the package served is recorded before it leaves.
func (n *Node) answer(ctx context.Context, peer Peer, req Request) (Answer, []byte, error) {
	ans := Answer{RequestID: req.RequestID, Nonce: req.Nonce, DestUAI: req.DestUAI, IssuedAt: n.now()}
	var entry sillage.TransferIndexEntry
	var origin sillage.Establishment
	var rec *records.Records
	var reason transfer.Reason
	var student sillage.Student
	err := n.Store.Read(ctx, func(tx *store.Tx) error {
		entries, err := n.Hashes.FindDeparted(ctx, tx, req.FedHashes)
		if err != nil || len(entries) == 0 {
			return err
		}
		// The latest departure: the one a transfer inside the instance
		// would take last.
		entry = entries[0]
		for _, e := range entries[1:] {
			if e.DeactivatedAt.After(entry.DeactivatedAt) {
				entry = e
			}
		}
		if origin, err = tx.Establishments().GetEstablishment(ctx, entry.OriginUAI); err != nil {
			return err
		}
		reason = n.decide(origin, req, entry)
		if reason != "" {
			ss, err := tx.CrossTenant().ListStudentsByRef(ctx, []sillage.StudentRef{{UAI: entry.OriginUAI, StudentID: entry.OriginStudentID}})
			if err == nil && len(ss) == 1 {
				student = ss[0]
			}
			return err
		}
		rec, err = records.Load(ctx, tx, entry.OriginUAI, []int64{entry.OriginStudentID})
		return err
	})
	if err != nil {
		return ans, nil, err
	}
	switch {
	case entry.OriginUAI == "":
		ans.Status, ans.Reason = StatusPending, ReasonNoRecord
		return ans, nil, nil
	case reason != "":
		ans.Status, ans.Reason, ans.Final, ans.OriginUAI = StatusImpossible, string(reason), reason.Final(), entry.OriginUAI
		// The origin's outgoing list shows it, with the peer as the other side.
		err := n.Store.Write(ctx, func(tx *store.Tx) error {
			l := sillage.TransferLogEntry{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID, DestUAI: req.DestUAI,
				Final: reason.Final(), Reason: string(reason), OriginInitials: student.Initials()}
			if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
				return err
			}
			return tx.CrossTenant().SetTransferLogPeer(ctx, req.DestUAI, 0, entry.OriginUAI, entry.OriginStudentID, peer.Name)
		})
		return ans, nil, err
	}
	if len(rec.Students) != 1 {
		ans.Status, ans.Reason = StatusPending, ReasonNoRecord
		return ans, nil, nil
	}
	student = rec.Students[0].Student
	doc, files, err := n.packageContent(rec)
	if err != nil {
		return ans, nil, err
	}
	s := doc.Students[0]
	ans.Status, ans.OriginUAI, ans.Digest, ans.Counts = StatusPackage, entry.OriginUAI, Digest(s), CountsOf(s).JSON()
	answerJSON, err := json.Marshal(ans)
	if err != nil {
		return ans, nil, err
	}
	var buf bytes.Buffer
	livret, err := json.Marshal(doc)
	if err != nil {
		return ans, nil, err
	}
	zf := append([]signedzip.File{{Name: AnswerFile, Content: answerJSON}, {Name: RecordsFile, Content: livret}}, files...)
	if _, err := signedzip.Write(&buf, n.Signer, signedzip.Meta{Purpose: signedzip.PurposeFederationPackage,
		Issuer: signedzip.Issuer{ID: n.Signer.KeyID()}, IssuedAt: ans.IssuedAt}, zf); err != nil {
		return ans, nil, err
	}
	if err := n.fp(StepPackageBuilt); err != nil {
		return ans, nil, err
	}
	busy, gone := false, false
	err = n.Store.Write(ctx, func(tx *store.Tx) error {
		// The index entry is claimed and put back: its rows stay locked
		// until this transaction ends, so a transfer inside the instance
		// claiming the same student either went first (the entry is gone:
		// nothing is sent) or waits and then sees the package served.
		ref := sillage.StudentRef{UAI: entry.OriginUAI, StudentID: entry.OriginStudentID}
		claimed, err := tx.CrossTenant().DeleteIndexEntries(ctx, []sillage.StudentRef{ref})
		if err != nil {
			return err
		}
		if len(claimed) == 0 {
			gone = true
			return nil
		}
		if err := tx.CrossTenant().PutIndexEntries(ctx, claimed); err != nil {
			return err
		}
		// A record sent to one instance is not sent to another until its
		// receipt: two destinations would both keep it.
		open, err := tx.CrossTenant().ListFederationServed(ctx, entry.OriginUAI, sillage.FederationStateServed)
		if err != nil {
			return err
		}
		for _, o := range open {
			if o.OriginStudentID == entry.OriginStudentID && (o.Peer != peer.Name || o.RequestID != req.RequestID) {
				busy = true
				return nil
			}
		}
		if err := tx.CrossTenant().PutFederationServed(ctx, sillage.FederationServed{Peer: peer.Name, RequestID: req.RequestID, OriginUAI: entry.OriginUAI,
			OriginStudentID: entry.OriginStudentID, DestUAI: req.DestUAI, Digest: ans.Digest, Counts: ans.Counts}); err != nil {
			return err
		}
		// The outgoing list shows it sent, waiting for the receipt.
		l := sillage.TransferLogEntry{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID, DestUAI: req.DestUAI,
			Reason: string(transfer.ReasonAwaitingReceipt), OriginInitials: student.Initials(), Counts: ans.Counts, Manifest: ans.Digest}
		if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
			return err
		}
		return tx.CrossTenant().SetTransferLogPeer(ctx, req.DestUAI, 0, entry.OriginUAI, entry.OriginStudentID, peer.Name)
	})
	if err != nil {
		return ans, nil, err
	}
	if busy || gone {
		pending := Answer{RequestID: req.RequestID, Nonce: req.Nonce, DestUAI: req.DestUAI, IssuedAt: ans.IssuedAt,
			Status: StatusPending, Reason: ReasonBusy}
		if gone {
			pending.Reason = ReasonNoRecord // moved meanwhile
		}
		return pending, nil, nil
	}
	return ans, buf.Bytes(), nil
}

// decide is transfer.md 5 step 3 at the origin: the destination's side
// (opted in, same diploma) is what its request declares.
func (n *Node) decide(origin sillage.Establishment, req Request, entry sillage.TransferIndexEntry) transfer.Reason {
	switch {
	case !origin.Transfer.Enabled:
		return transfer.ReasonOriginDisabled
	case req.DestReference == "":
		return transfer.ReasonDestDisabled
	case entry.DeactivatedAt.Before(n.retention().StudentPurgeCutoff(n.now())):
		return transfer.ReasonOriginExpired
	case entry.Diploma != req.Diploma:
		return transfer.ReasonDiplomaChanged
	}
	return ""
}

// packageContent is the records JSON of the one student of rec, without
// anything that names them or their establishment's people by an
// identifier, and the files it refers to (fichiers/<sha256>).
func (n *Node) packageContent(rec *records.Records) (*records.File, []signedzip.File, error) {
	doc := records.ToFile(rec, records.ExportOptions{})
	doc.ExportedAt, doc.Scale = "", nil
	s := &doc.Students[0]
	// The destination knows the student under its own identity.
	s.LastName, s.FirstName, s.BirthDate, s.Division, s.Diploma, s.EleveID = "", "", "", "", "", ""
	var files []signedzip.File
	seen := map[string]bool{}
	for i := range s.Evaluations {
		e := &s.Evaluations[i]
		e.Division, e.Key = "", ""
		if e.Origin == "" {
			e.Origin = doc.UAI
		}
	}
	for i := range s.Sheets {
		sh := &s.Sheets[i]
		sh.Key = ""
		if sh.Origin == "" {
			sh.Origin = doc.UAI
		}
		for k := range sh.Files {
			f := &sh.Files[k]
			f.Path = filesDir + f.SHA256
			if seen[f.SHA256] {
				continue
			}
			seen[f.SHA256] = true
			sum := f.SHA256
			files = append(files, signedzip.File{Name: f.Path, Store: true, Open: func() (io.ReadCloser, error) {
				return n.Blobs.Open(sum)
			}})
		}
	}
	return doc, files, nil
}

// serveReceipt deletes the origin's copy on a valid receipt (origin side).
func (n *Node) serveReceipt(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var rc Receipt
	peer, err := n.open(ctx, r, PurposeReceipt, &rc)
	opened := err == nil
	if err == nil {
		err = n.checkAudience(ctx, rc.Audience)
	}
	if err == nil {
		err = n.checkTimes(rc.IssuedAt, rc.ExpiresAt)
	}
	if err == nil {
		err = n.seeNonce(ctx, peer.Name, rc.Nonce, rc.ExpiresAt)
	}
	var served sillage.FederationServed
	if err == nil {
		err = n.Store.Read(ctx, func(tx *store.Tx) (err error) {
			served, err = tx.CrossTenant().GetFederationServed(ctx, peer.Name, rc.RequestID)
			return err
		})
	}
	if err == nil && served.Digest != rc.Digest {
		err = sillage.Errorf(sillage.KindConflict, "accusé de réception d'une empreinte (%s) qui n'est pas celle du dossier envoyé (%s)",
			signing.Short(rc.Digest), signing.Short(served.Digest))
	}
	if err != nil {
		n.refusedMessage(ctx, r, served.OriginUAI, peer, opened, "accusé de réception", err)
		refuse(w, err)
		return
	}
	if err := n.fp(StepReceiptReceived); err != nil {
		refuse(w, err)
		return
	}
	status, err := n.deleteServed(ctx, peer, served)
	if err != nil {
		n.log().Error("federation receipt failed", "peer", peer.Name, "request", rc.RequestID, "err", err)
		refuse(w, err)
		return
	}
	if err := n.fp(StepOriginCommitted); err != nil {
		refuse(w, err) // the acknowledgement is lost: the destination sends the receipt again
		return
	}
	n.writeEnvelope(w, PurposeAck, Ack{RequestID: rc.RequestID, Nonce: rc.Nonce, Digest: rc.Digest, Status: status, IssuedAt: n.now()})
}

// deleteServed deletes the student a package carried, in one transaction,
// as a transfer inside the instance deletes its origin student: their
// record, the student, their account when no one else uses it, the index
// entry; a line of the transfer log remains (the tombstone, with the peer
// as the other side) and the audit entry. When the record changed since
// the package, nothing is deleted: the destination asks again.
func (n *Node) deleteServed(ctx context.Context, peer Peer, served sillage.FederationServed) (string, error) {
	status := AckDeleted
	err := n.Store.Write(ctx, func(tx *store.Tx) error {
		status = AckDeleted
		cur, err := tx.CrossTenant().GetFederationServed(ctx, peer.Name, served.RequestID)
		if err != nil {
			return err
		}
		if cur.State == sillage.FederationStateDeleted {
			return nil // done before: the acknowledgement was lost
		}
		ref := sillage.StudentRef{UAI: served.OriginUAI, StudentID: served.OriginStudentID}
		ss, err := tx.CrossTenant().ListStudentsByRef(ctx, []sillage.StudentRef{ref})
		if err != nil {
			return err
		}
		if len(ss) == 1 {
			if ss[0].Active() {
				status = AckStale // back in the establishment: nothing leaves
				return nil
			}
			rec, err := records.Load(ctx, tx, served.OriginUAI, []int64{served.OriginStudentID})
			if err != nil {
				return err
			}
			doc, _, err := n.packageContent(rec)
			if err != nil {
				return err
			}
			if Digest(doc.Students[0]) != served.Digest {
				status = AckStale
				return nil
			}
			if _, err := tx.CrossTenant().RemoveIndexEntry(ctx, served.OriginUAI, served.OriginStudentID); err != nil {
				return err
			}
			if _, err := tx.CrossTenant().StageTransfer(ctx, []store.TransferPair{{OriginUAI: served.OriginUAI, OriginStudentID: served.OriginStudentID,
				DestUAI: served.DestUAI}}); err != nil {
				return err
			}
			if k, err := tx.CrossTenant().DeleteStagedOrigins(ctx); err != nil || k != 1 {
				if err == nil {
					err = fmt.Errorf("federation: %d students deleted instead of 1", k)
				}
				return err
			}
			if a := ss[0].AccountID; a != 0 {
				if _, err := tx.CrossTenant().CloseOrphanAccounts(ctx, []int64{a}, sillage.ClosedTransferred); err != nil {
					return err
				}
				if err := tx.CrossTenant().NoteAccountsTransferredTo(ctx, map[int64]sillage.UAI{a: served.DestUAI}); err != nil {
					return err
				}
			}
			if err := n.fp(StepOriginDeleted); err != nil {
				return err
			}
			l := sillage.TransferLogEntry{OriginUAI: served.OriginUAI, OriginStudentID: served.OriginStudentID, DestUAI: served.DestUAI,
				Done: true, Final: true, OriginInitials: ss[0].Initials(), Counts: served.Counts, Manifest: served.Digest}
			if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
				return err
			}
			if err := tx.CrossTenant().SetTransferLogPeer(ctx, served.DestUAI, 0, served.OriginUAI, served.OriginStudentID, peer.Name); err != nil {
				return err
			}
			if err := n.fp(StepOriginLog); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, served.OriginUAI, audit.System, audit.TransferSent, fmt.Sprintf("élève %s (n° %d)", ss[0].Initials(), ss[0].ID),
				fmt.Sprintf("dossier transféré vers %s (instance %s) : %s ; empreinte %s", served.DestUAI, peer.Name, countsText(served.Counts), served.Digest)); err != nil {
				return err
			}
		}
		// A student no longer here (purged meanwhile) has nothing left
		// to delete.
		_, err = tx.CrossTenant().MarkFederationServedDeleted(ctx, peer.Name, served.RequestID)
		return err
	})
	return status, err
}

// countsText is a transfer log's counts in French.
func countsText(js string) string {
	c := transfer.ParseCounts(js)
	return fmt.Sprintf("%d évaluation(s), %d résultat(s), %d commentaire(s), %d fiche(s), %d fichier(s)", c.Evaluations, c.Results, c.Comments,
		c.Sheets, c.Files)
}

func validUAI(u sillage.UAI) bool {
	p, err := sillage.ParseUAI(string(u))
	return err == nil && p == u
}
