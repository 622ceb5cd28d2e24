package federation

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/scratch"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// Report is what a destination run did.
type Report struct {
	At         time.Time `json:"date"`
	Asked      int       `json:"demandes"`    // requests sent
	Imported   int       `json:"recus"`       // packages imported
	Pending    int       `json:"en_attente"`  // answered "nothing yet"
	Impossible int       `json:"impossibles"` // answered "impossible"
	Receipts   int       `json:"accuses"`     // receipts acknowledged
	Failed     int       `json:"echecs"`      // no answer, refused, or not imported: retried later
	Errors     []string  `json:"erreurs,omitempty"`
}

// Run is the destination's side: for every new student of an
// establishment that opted in, with a federation hash, whom no entry of
// this instance's index matches (a transfer inside the instance would take
// them), it asks the peer serving the previous establishment their file
// names — or, when none does, every peer that accepts such requests —
// for their record; it imports what comes, and sends the receipts still
// unacknowledged. What fails is retried by a later run; a failpoint error
// stops the run.
func (n *Node) Run(ctx context.Context) (*Report, error) {
	rep := &Report{At: n.now()}
	peers, err := n.Peers.Peers(ctx)
	if err != nil || len(peers) == 0 {
		return rep, err
	}
	byName := map[string]Peer{}
	for _, p := range peers {
		byName[p.Name] = p
	}
	var cands []sillage.TransferCandidate
	estabs := map[sillage.UAI]sillage.Establishment{}
	var due []sillage.FederationRequest
	err = n.Store.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.CrossTenant().DeleteExpiredFederationNonces(ctx, rep.At); err != nil {
			return err
		}
		var err error
		if cands, err = tx.CrossTenant().ListTransferCandidates(ctx); err != nil {
			return err
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		for _, e := range es {
			estabs[e.UAI] = e
		}
		if err != nil {
			return err
		}
		due, err = tx.CrossTenant().ListFederationRequests(ctx, "", sillage.FederationImported)
		return err
	})
	if err != nil {
		return rep, err
	}
	// Receipts first: they free the origins.
	for _, q := range due {
		p, ok := byName[q.Peer]
		if !ok || q.NextAt.After(rep.At) {
			continue
		}
		if err := n.sendReceipt(ctx, p, q, rep); err != nil {
			return rep, err
		}
	}
	// A student with an entry here is the local engine's.
	withEntry := map[sillage.StudentRef]bool{}
	for _, c := range cands {
		if c.Entry != nil {
			withEntry[sillage.StudentRef{UAI: c.UAI, StudentID: c.StudentID}] = true
		}
	}
	for _, c := range cands {
		ref := sillage.StudentRef{UAI: c.UAI, StudentID: c.StudentID}
		if c.Entry != nil || withEntry[ref] || !estabs[c.UAI].Transfer.Enabled {
			continue
		}
		var ask []Peer
		for _, p := range peers {
			if p.Serves(c.PreviousUAI) {
				ask = append(ask, p)
			}
		}
		if len(ask) == 0 {
			for _, p := range peers {
				if p.Discoverable {
					ask = append(ask, p)
				}
			}
		}
		for _, p := range ask {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			done, err := n.ask(ctx, p, c, estabs[c.UAI], rep)
			if err != nil {
				return rep, err
			}
			if done {
				break
			}
		}
	}
	return rep, nil
}

// ask sends the request of (student, peer) when it is due, and handles
// the answer. It reports whether the student received their record; an
// error is a failpoint's (the run stops).
func (n *Node) ask(ctx context.Context, p Peer, c sillage.TransferCandidate, est sillage.Establishment, rep *Report) (bool, error) {
	now := n.now()
	var q sillage.FederationRequest
	var hashes []string
	err := n.Store.Write(ctx, func(tx *store.Tx) (err error) {
		if q, err = tx.CrossTenant().EnsureFederationRequest(ctx, c.UAI, c.StudentID, p.Name, newID()); err != nil {
			return err
		}
		hashes, err = n.Hashes.StudentHashes(ctx, tx, c.UAI, c.StudentID)
		return err
	})
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
		return false, nil
	}
	switch {
	case len(hashes) == 0, q.State == sillage.FederationImported, q.State == sillage.FederationDone, q.Final, q.NextAt.After(now):
		return false, nil
	}
	req := Request{Audience: p.InstanceID, RequestID: q.ID, Nonce: newID(), FedHashes: hashes, DestUAI: c.UAI, DestReference: est.Transfer.Reference, Diploma: c.Diploma,
		PreviousUAI: c.PreviousUAI, IssuedAt: now, ExpiresAt: now.Add(n.validity())}
	env, err := n.Signer.Seal(PurposeRequest, req)
	if err != nil {
		return false, err
	}
	if err := n.fp(StepRequestSent); err != nil {
		return false, err
	}
	rep.Asked++
	resp, body, err := n.post(ctx, p.URL+PathRequest, env)
	if sillage.KindOf(err) == sillage.KindInvalid {
		n.refused(ctx, c.UAI, p.Name, "réponse", err)
		return false, n.failed(ctx, q.ID, ReasonRefused, "réponse de l'instance "+p.Name+" refusée : "+sillage.Message(err), rep)
	}
	if err != nil {
		return false, n.failed(ctx, q.ID, ReasonUnreachable, fmt.Sprintf("instance %s injoignable : %v", p.Name, err), rep)
	}
	defer body.close()
	if err := n.fp(StepAnswerReceived); err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, n.failed(ctx, q.ID, ReasonRefused, fmt.Sprintf("demande refusée par l'instance %s : %s", p.Name, refusalText(resp, body.data)), rep)
	}
	if body.pkg != nil {
		return n.receive(ctx, p, c, q, req, body.pkg, body.pkgSize, rep)
	}
	var ans Answer
	var e signing.Envelope
	if err := json.Unmarshal(body.data, &e); err != nil {
		err = sillage.Errorf(sillage.KindInvalid, "réponse illisible")
		n.refused(ctx, c.UAI, p.Name, "réponse", err)
		return false, n.failed(ctx, q.ID, ReasonRefused, "réponse de l'instance "+p.Name+" refusée : "+sillage.Message(err), rep)
	}
	err = signing.Open(p.Keys, PurposeAnswer, e, &ans)
	if err == nil {
		err = n.checkAnswer(ans, req)
	}
	if err != nil {
		n.refused(ctx, c.UAI, p.Name, "réponse", err)
		return false, n.failed(ctx, q.ID, ReasonRefused, "réponse de l'instance "+p.Name+" refusée : "+sillage.Message(err), rep)
	}
	switch ans.Status {
	case StatusPending:
		rep.Pending++
	case StatusImpossible:
		rep.Impossible++
	default:
		return false, n.failed(ctx, q.ID, ReasonRefused, "réponse de l'instance "+p.Name+" inattendue : "+ans.Status, rep)
	}
	err = n.Store.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.CrossTenant().GetFederationRequest(ctx, q.ID)
		if err != nil {
			return err
		}
		if cur.State == sillage.FederationImported || cur.State == sillage.FederationDone {
			return nil
		}
		cur.State, cur.Reason, cur.Detail, cur.Final, cur.OriginUAI = sillage.FederationPending, ans.Reason, "", false, ans.OriginUAI
		cur.Attempts, cur.NextAt = 0, now.Add(n.retry())
		if ans.Status == StatusImpossible {
			cur.State, cur.Final = sillage.FederationImpossible, ans.Final
			ss, err := tx.CrossTenant().ListStudentsByRef(ctx, []sillage.StudentRef{{UAI: c.UAI, StudentID: c.StudentID}})
			if err != nil || len(ss) != 1 {
				return err
			}
			if ans.Reason == string(transfer.ReasonDiplomaChanged) {
				if err := tx.People().SetTransferStatus(ctx, c.UAI, c.StudentID, sillage.TransferDiplomaChanged); err != nil {
					return err
				}
			}
			l := sillage.TransferLogEntry{OriginUAI: ans.OriginUAI, DestUAI: c.UAI, DestStudentID: c.StudentID, Final: ans.Final, Reason: ans.Reason,
				DestName: ss[0].FullName()}
			if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
				return err
			}
			if err := tx.CrossTenant().SetTransferLogPeer(ctx, c.UAI, c.StudentID, ans.OriginUAI, 0, p.Name); err != nil {
				return err
			}
		}
		return tx.CrossTenant().UpdateFederationRequest(ctx, cur)
	})
	return false, err
}

// checkAnswer checks that an answer is the one of this sending.
func (n *Node) checkAnswer(ans Answer, req Request) error {
	switch {
	case ans.RequestID != req.RequestID || ans.Nonce != req.Nonce:
		return sillage.Errorf(sillage.KindInvalid, "réponse à une autre demande (rejouée ?)")
	case ans.DestUAI != req.DestUAI:
		return sillage.Errorf(sillage.KindInvalid, "réponse pour un autre établissement (%s)", ans.DestUAI)
	case ans.Status == StatusImpossible && ans.OriginUAI != "" && !validUAI(ans.OriginUAI):
		return sillage.Errorf(sillage.KindInvalid, "établissement d'origine invalide")
	}
	return n.checkTimes(ans.IssuedAt, time.Time{})
}

// receive verifies a package and imports it, then sends the receipt.
func (n *Node) receive(ctx context.Context, p Peer, c sillage.TransferCandidate, q sillage.FederationRequest, req Request, pkg io.ReaderAt, size int64,
	rep *Report) (bool, error) {
	doc, ans, err := n.verifyPackage(p, req, pkg, size)
	if err != nil {
		n.refused(ctx, c.UAI, p.Name, "dossier", err)
		return false, n.failed(ctx, q.ID, ReasonRefused, "dossier de l'instance "+p.Name+" refusé : "+sillage.Message(err), rep)
	}
	if err := n.fp(StepPackageVerified); err != nil {
		return false, err
	}
	var fe *failpointError
	var cur sillage.FederationRequest
	err = n.Store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if cur, err = tx.CrossTenant().GetFederationRequest(ctx, q.ID); err != nil {
			return err
		}
		if cur.State == sillage.FederationImported || cur.State == sillage.FederationDone {
			return nil // imported by another run
		}
		ss, err := tx.CrossTenant().ListStudentsByRef(ctx, []sillage.StudentRef{{UAI: c.UAI, StudentID: c.StudentID}})
		if err != nil {
			return err
		}
		if len(ss) != 1 || !ss[0].Active() || ss[0].TransferStatus != sillage.TransferNew &&
			(ss[0].TransferStatus != sillage.TransferTransferred || cur.Digest == "") {
			return sillage.Errorf(sillage.KindConflict, "l'élève n'attend plus de dossier")
		}
		st := ss[0]
		if st.SIECLEID == "" {
			return sillage.Errorf(sillage.KindInvalid, "l'élève n'a pas d'identifiant SIECLE : le dossier ne peut pas lui être rattaché")
		}
		if err := ensureReferentials(ctx, tx, c.UAI, doc.Referentials); err != nil {
			return err
		}
		if err := n.fpTx(StepReferentials, &fe); err != nil {
			return err
		}
		author, err := tx.CrossTenant().UpsertSystemAuthor(ctx, c.UAI)
		if err != nil {
			return err
		}
		doc.UAI, doc.Establishment = string(c.UAI), ""
		doc.Students[0].EleveID = st.SIECLEID
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		lim := n.Limits
		if lim == (records.FileLimits{}) {
			lim = records.DefaultLimits(n.Blobs.MaxSize())
		}
		if _, err := records.ImportTx(ctx, tx, records.ImportRequest{UAI: c.UAI, Actor: audit.System, Blobs: n.Blobs, Limits: lim,
			EvaluationAuthorID: author, KeepAuthorNames: true, RequireAll: true}, bytes.NewReader(raw)); err != nil {
			return err
		}
		if err := n.fpTx(StepImported, &fe); err != nil {
			return err
		}
		if _, err := tx.CrossTenant().SetStudentsTransferred(ctx, []sillage.StudentRef{{UAI: c.UAI, StudentID: c.StudentID}}); err != nil {
			return err
		}
		if err := n.fpTx(StepStatus, &fe); err != nil {
			return err
		}
		l := sillage.TransferLogEntry{OriginUAI: ans.OriginUAI, DestUAI: c.UAI, DestStudentID: c.StudentID, Done: true, Final: true,
			DestName: st.FullName(), Counts: ans.Counts, Manifest: ans.Digest}
		if err := tx.CrossTenant().RecordTransferLogs(ctx, []sillage.TransferLogEntry{l}); err != nil {
			return err
		}
		if err := tx.CrossTenant().SetTransferLogPeer(ctx, c.UAI, c.StudentID, ans.OriginUAI, 0, p.Name); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, c.UAI, audit.System, audit.TransferReceived, fmt.Sprintf("élève %s (n° %d)", st.FullName(), st.ID),
			fmt.Sprintf("dossier reçu de %s (instance %s) : %s ; empreinte %s", ans.OriginUAI, p.Name, countsText(ans.Counts), ans.Digest)); err != nil {
			return err
		}
		if err := n.fpTx(StepDestLog, &fe); err != nil {
			return err
		}
		cur.State, cur.Reason, cur.Detail, cur.Final = sillage.FederationImported, "", "", false
		cur.OriginUAI, cur.Digest, cur.Counts, cur.Attempts, cur.NextAt = ans.OriginUAI, ans.Digest, ans.Counts, 0, n.now()
		return tx.CrossTenant().UpdateFederationRequest(ctx, cur)
	})
	if fe != nil {
		return false, err
	}
	if err != nil {
		return false, n.failed(ctx, q.ID, ReasonImport, "dossier de l'instance "+p.Name+" non importé : "+sillage.Message(err), rep)
	}
	rep.Imported++
	if err := n.fp(StepDestCommitted); err != nil {
		return true, err
	}
	return true, n.sendReceipt(ctx, p, cur, rep)
}

// failpointError marks a failpoint's error inside a transaction.
type failpointError struct{ err error }

func (f *failpointError) Error() string { return f.err.Error() }

func (n *Node) fpTx(step string, fe **failpointError) error {
	if err := n.fp(step); err != nil {
		*fe = &failpointError{err}
		return *fe
	}
	return nil
}

// verifyPackage checks a package: signed by the peer for a federation
// package, the answer of this sending, the records' digest the one signed,
// every file the one listed. It returns the records with the files'
// contents in them.
func (n *Node) verifyPackage(p Peer, req Request, pkg io.ReaderAt, size int64) (*records.File, Answer, error) {
	var ans Answer
	a, err := signedzip.Open(pkg, size, p.Keys, signedzip.DefaultLimits)
	if err != nil {
		return nil, ans, err
	}
	if a.Manifest.Purpose != signedzip.PurposeFederationPackage {
		return nil, ans, sillage.Errorf(sillage.KindInvalid, "archive signée pour un autre usage (%s)", a.Manifest.Purpose)
	}
	raw, err := a.ReadFile(AnswerFile)
	if err != nil {
		return nil, ans, err
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, ans, sillage.Errorf(sillage.KindInvalid, "%s illisible", AnswerFile)
	}
	if err := n.checkAnswer(ans, req); err != nil {
		return nil, ans, err
	}
	if ans.Status != StatusPackage || !validUAI(ans.OriginUAI) {
		return nil, ans, sillage.Errorf(sillage.KindInvalid, "réponse incohérente avec un dossier")
	}
	if raw, err = a.ReadFile(RecordsFile); err != nil {
		return nil, ans, err
	}
	var doc records.File
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Format != records.FormatName || len(doc.Students) != 1 {
		return nil, ans, sillage.Errorf(sillage.KindInvalid, "%s illisible ou incomplet", RecordsFile)
	}
	if d := Digest(doc.Students[0]); d != ans.Digest {
		return nil, ans, sillage.Errorf(sillage.KindInvalid, "empreinte du dossier (%s) différente de l'empreinte signée (%s)", signing.Short(d),
			signing.Short(ans.Digest))
	}
	s := &doc.Students[0]
	for i := range s.Sheets {
		for k := range s.Sheets[i].Files {
			f := &s.Sheets[i].Files[k]
			if f.Path != filesDir+f.SHA256 {
				return nil, ans, sillage.Errorf(sillage.KindInvalid, "fichier %q mal rangé dans le dossier", f.Name)
			}
			b, err := a.ReadFile(f.Path)
			if err != nil {
				return nil, ans, err
			}
			sum := sha256.Sum256(b)
			if hex.EncodeToString(sum[:]) != f.SHA256 {
				return nil, ans, sillage.Errorf(sillage.KindInvalid, "le contenu du fichier %q n'est pas celui annoncé", f.Name)
			}
			f.Content, f.Path = base64.StdEncoding.EncodeToString(b), ""
		}
	}
	return &doc, ans, nil
}

// ensureReferentials creates at uai the referentials of the package it
// lacks, and adds to the ones it has the competences missing by code;
// nothing of the destination's own is changed.
func ensureReferentials(ctx context.Context, tx *store.Tx, uai sillage.UAI, refs []records.Referential) error {
	for _, r := range refs {
		diploma, err := records.NormalizeDiploma(r.Diploma)
		if err != nil {
			return err
		}
		have, err := tx.Records().GetReferentialByDiploma(ctx, uai, diploma)
		if sillage.KindOf(err) == sillage.KindNotFound {
			kind, err := records.ParseReferentialKind(r.Kind)
			if err != nil {
				return err
			}
			ref := sillage.Referential{Diploma: diploma, Kind: kind, Label: strings.TrimSpace(r.Label)}
			for _, c := range r.Competences {
				ref.Competences = append(ref.Competences, sillage.Competence{Code: c.Code, Label: c.Label, Domain: c.Domain})
			}
			if err := tx.Records().CreateReferential(ctx, uai, &ref); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		codes := map[string]bool{}
		for _, c := range have.Competences {
			codes[c.Code] = true
		}
		pos := len(have.Competences)
		for _, c := range r.Competences {
			if codes[c.Code] {
				continue
			}
			pos++
			comp := sillage.Competence{ReferentialID: have.ID, Code: c.Code, Label: c.Label, Domain: c.Domain, Position: pos}
			if err := tx.Records().CreateCompetence(ctx, uai, &comp); err != nil {
				return err
			}
		}
	}
	return nil
}

// sendReceipt sends the receipt of an imported package and, on the
// origin's acknowledgement, closes the request.
func (n *Node) sendReceipt(ctx context.Context, p Peer, q sillage.FederationRequest, rep *Report) error {
	now := n.now()
	rc := Receipt{Audience: p.InstanceID, RequestID: q.ID, Nonce: newID(), Digest: q.Digest, DestUAI: q.DestUAI, OriginUAI: q.OriginUAI, IssuedAt: now,
		ExpiresAt: now.Add(n.validity())}
	env, err := n.Signer.Seal(PurposeReceipt, rc)
	if err != nil {
		return err
	}
	if err := n.fp(StepReceiptSent); err != nil {
		return err
	}
	resp, body, err := n.post(ctx, p.URL+PathReceipt, env)
	if err != nil {
		return n.failed(ctx, q.ID, ReasonUnreachable, fmt.Sprintf("accusé de réception non remis : instance %s injoignable (%v)", p.Name, err), rep)
	}
	defer body.close()
	if err := n.fp(StepAckReceived); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return n.failed(ctx, q.ID, ReasonRefused, fmt.Sprintf("accusé de réception refusé par l'instance %s : %s", p.Name, refusalText(resp, body.data)), rep)
	}
	var ack Ack
	var e signing.Envelope
	err = json.Unmarshal(body.data, &e)
	if err == nil {
		err = signing.Open(p.Keys, PurposeAck, e, &ack)
	} else {
		err = sillage.Errorf(sillage.KindInvalid, "confirmation illisible")
	}
	if err == nil && (ack.RequestID != rc.RequestID || ack.Nonce != rc.Nonce || ack.Digest != rc.Digest) {
		err = sillage.Errorf(sillage.KindInvalid, "confirmation d'un autre accusé de réception (rejouée ?)")
	}
	if err == nil {
		err = n.checkTimes(ack.IssuedAt, time.Time{})
	}
	if err != nil {
		n.refused(ctx, q.DestUAI, p.Name, "confirmation d'accusé de réception", err)
		return n.failed(ctx, q.ID, ReasonRefused, "confirmation de l'instance "+p.Name+" refusée : "+sillage.Message(err), rep)
	}
	err = n.Store.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.CrossTenant().GetFederationRequest(ctx, q.ID)
		if err != nil || cur.State != sillage.FederationImported {
			return err
		}
		cur.Reason, cur.Detail, cur.Attempts, cur.NextAt = "", "", 0, now
		if ack.Status == AckStale {
			// The record changed at the origin after the package: ask
			// again (the import finds what it already brought).
			cur.State, cur.Detail = sillage.FederationSent, "le dossier a changé dans l'établissement d'origine depuis l'envoi : demandé de nouveau"
		} else {
			cur.State = sillage.FederationDone
		}
		return tx.CrossTenant().UpdateFederationRequest(ctx, cur)
	})
	if err == nil && ack.Status != AckStale {
		rep.Receipts++
	}
	return err
}

// failed records a failure of a request's step: its state stays, the
// reason and the French detail say what happened, and the next attempt
// waits, longer at each failure. It returns only a store error.
func (n *Node) failed(ctx context.Context, id, reason, detail string, rep *Report) error {
	rep.Failed++
	rep.Errors = append(rep.Errors, detail)
	n.log().Warn("federation step failed", "request", id, "reason", reason, "detail", detail)
	return n.Store.Write(ctx, func(tx *store.Tx) error {
		cur, err := tx.CrossTenant().GetFederationRequest(ctx, id)
		if err != nil {
			return err
		}
		cur.Attempts++
		wait := 5 * time.Minute << min(cur.Attempts-1, 16)
		cur.Reason, cur.Detail, cur.NextAt = reason, detail, n.now().Add(min(wait, n.retryMax()))
		return tx.CrossTenant().UpdateFederationRequest(ctx, cur)
	})
}

// answerBody is a peer's answer: a JSON message in memory, or a package
// spooled to a temporary file (up to the archive's limits, never held
// whole in memory while it is verified).
type answerBody struct {
	data    []byte   // a message (bounded by maxAnswer)
	pkg     *os.File // a package (application/zip), nil otherwise
	pkgSize int64
	dir     *scratch.Dir // the package's folder, swept if this process dies
}

// maxAnswer bounds a peer's JSON message (an answer, a refusal, a
// confirmation): a few hundred bytes in practice.
const maxAnswer = 1 << 20

// close removes the spooled package, if any.
func (b *answerBody) close() {
	if b.pkg != nil {
		b.pkg.Close()
	}
	if b.dir != nil {
		b.dir.Close()
	}
}

// spoolPrefix names the folders packages are spooled into, under the
// system's temporary folder: those of a process that died are removed by
// the next one (internal/scratch), since a package holds a student's record.
const spoolPrefix = "sillage-federation-"

// post sends a signed envelope and reads the answer: a package is spooled
// to a temporary file (bounded by the archive's limits), anything else is
// read in memory (bounded by maxAnswer). The caller closes the body.
func (n *Node) post(ctx context.Context, url string, env signing.Envelope) (*http.Response, *answerBody, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return nil, nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := n.client().Do(hr)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body := &answerBody{}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/zip" && resp.StatusCode == http.StatusOK {
		limit := n.MaxPackage
		if limit <= 0 {
			limit = int64(signedzip.DefaultLimits.MaxExpanded)
		}
		scratch.Sweep(os.TempDir(), spoolPrefix)
		dir, err := scratch.New(os.TempDir(), spoolPrefix)
		if err != nil {
			return nil, nil, err
		}
		body.dir = dir
		f, err := os.Create(filepath.Join(dir.Path, "dossier.zip"))
		if err != nil {
			body.close()
			return nil, nil, fmt.Errorf("dossier reçu non écrit sur le disque : %w", err)
		}
		body.pkg = f
		body.pkgSize, err = io.Copy(f, io.LimitReader(resp.Body, limit+1))
		if err == nil && body.pkgSize > limit {
			err = sillage.Errorf(sillage.KindInvalid, "dossier de plus de %s", sillage.FormatSize(limit))
		}
		if err != nil {
			body.close()
			return nil, nil, err
		}
		return resp, body, nil
	}
	if body.data, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1)); err != nil {
		return nil, nil, err
	}
	if len(body.data) > maxAnswer {
		return nil, nil, sillage.Errorf(sillage.KindInvalid, "réponse de plus de %s", sillage.FormatSize(maxAnswer))
	}
	return resp, body, nil
}

func refusalText(resp *http.Response, body []byte) string {
	var r Refusal
	if json.Unmarshal(body, &r) == nil && r.Error != "" {
		return r.Error
	}
	return resp.Status
}
