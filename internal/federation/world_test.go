package federation_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/federation"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const diploma = "24732205"

// competences is the size of A's referential (B's has 2 of them).
var competences = 4

func uaiN(n int) sillage.UAI {
	digits := fmt.Sprintf("0%06d", 860000+n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

// instance is one Sillage instance of the test: its store, keys, files,
// node and server, one establishment.
type peerInst struct {
	t       testing.TB
	name    string
	st      *store.Store
	clock   *storetest.Clock
	signer  *signing.Signer
	blobs   *blob.Local
	node    *federation.Node
	srv     *httptest.Server
	uai     sillage.UAI
	teacher sillage.Person
	ref     sillage.Referential
	div     sillage.Division
	peers   *peerList
	seq     int

	down     atomic.Bool            // the server drops every connection
	tamper   atomic.Bool            // the server alters one byte of its answers
	failStep atomic.Pointer[string] // the failpoint that fails once
	wire     atomic.Int64           // bytes this instance's server received and sent
}

// peerList is the operator's declared peers.
type peerList struct {
	mu    sync.Mutex
	peers []federation.Peer
}

func (p *peerList) Peers(context.Context) ([]federation.Peer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]federation.Peer(nil), p.peers...), nil
}

func newSigner(t testing.TB, secret string) *signing.Signer {
	t.Helper()
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte(secret), 32)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSigner(kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newInstance(t testing.TB, name string, kind store.Kind, n int) *peerInst {
	t.Helper()
	in := &peerInst{t: t, name: name, clock: &storetest.Clock{T: storetest.Epoch}, uai: uaiN(n), peers: &peerList{}}
	in.st = storetest.Open(t, kind, in.clock)
	in.signer = newSigner(t, name)
	var err error
	if in.blobs, err = blob.Open(t.TempDir(), 50<<20); err != nil {
		t.Fatal(err)
	}
	in.node = &federation.Node{Store: in.st, Signer: in.signer, Peers: in.peers, Hashes: federation.StoreHashes{}, Blobs: in.blobs,
		Failpoint: func(step string) error {
			if p := in.failStep.Load(); p != nil && *p == step {
				in.failStep.Store(nil)
				return fmt.Errorf("panne simulée")
			}
			return nil
		}}
	h := in.node.Handler()
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if in.down.Load() {
			panic(http.ErrAbortHandler)
		}
		cw := &countingWriter{ResponseWriter: w, tamper: in.tamper.Load()}
		in.wire.Add(r.ContentLength)
		h.ServeHTTP(cw, r)
		in.wire.Add(cw.n)
	}))
	t.Cleanup(in.srv.Close)
	ctx := context.Background()
	in.write(func(tx *store.Tx) error {
		e := sillage.Establishment{UAI: in.uai, Name: "Lycée " + name, Kind: sillage.KindLP,
			Transfer: sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(in.uai)}}
		if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
			return err
		}
		in.teacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "PROF" + strings.ToUpper(name), FirstName: "Anne", Source: sillage.SourceManual}
		if err := tx.People().CreatePerson(ctx, in.uai, &in.teacher); err != nil {
			return err
		}
		in.div = sillage.Division{SchoolYear: sillage.SchoolYearOf(in.clock.T), Code: "1MELEC", Label: "1re MELEC"}
		if err := tx.People().CreateDivision(ctx, in.uai, &in.div); err != nil {
			return err
		}
		in.ref = sillage.Referential{Diploma: diploma, Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC (" + name + ")"}
		codes := competences
		if name == "B" {
			codes = 2 // the others come with the record
		}
		for i := 0; i < codes; i++ {
			in.ref.Competences = append(in.ref.Competences, sillage.Competence{Domain: "C1", Code: fmt.Sprintf("C1.%d", i+1), Label: fmt.Sprintf("Compétence %d", i+1)})
		}
		return tx.Records().CreateReferential(ctx, in.uai, &in.ref)
	})
	return in
}

type countingWriter struct {
	http.ResponseWriter
	n      int64
	tamper bool
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.tamper && len(b) > 200 {
		// A byte of a file's content (stored as is in the archive), or of
		// the middle of a message.
		b = append([]byte(nil), b...)
		at := len(b) / 3
		if i := bytes.Index(b, []byte("%PDF-1.4")); i >= 0 {
			at = i + 20
		}
		b[at] ^= 0x01
	}
	c.n += int64(len(b))
	return c.ResponseWriter.Write(b)
}

// declare makes a and b peers of each other.
func declare(a, b *peerInst) {
	a.peers.peers = append(a.peers.peers, federation.Peer{Name: b.srv.URL, URL: b.srv.URL, InstanceID: b.instanceID(), Keys: b.signer.PublicKeys(), UAIs: []sillage.UAI{b.uai}})
	b.peers.peers = append(b.peers.peers, federation.Peer{Name: a.srv.URL, URL: a.srv.URL, InstanceID: a.instanceID(), Keys: a.signer.PublicKeys(), UAIs: []sillage.UAI{a.uai}})
}

// instanceID is the instance's identifier in the federation.
func (in *peerInst) instanceID() string {
	var id string
	in.write(func(tx *store.Tx) (err error) { id, err = tx.Federation().InstanceID(context.Background()); return err })
	return id
}

func (in *peerInst) write(fn func(tx *store.Tx) error) {
	in.t.Helper()
	if err := in.st.Write(context.Background(), fn); err != nil {
		in.t.Fatal(err)
	}
}

func (in *peerInst) read(fn func(tx *store.Tx) error) {
	in.t.Helper()
	if err := in.st.Read(context.Background(), fn); err != nil {
		in.t.Fatal(err)
	}
}

// student creates a student with a federation hash: settled (here for
// years) or new (just imported), with previous as the previous
// establishment their file names.
func (in *peerInst) student(first, hash string, status sillage.TransferStatus, previous sillage.UAI) sillage.Student {
	in.t.Helper()
	ctx := context.Background()
	in.seq++
	s := sillage.Student{Person: sillage.Person{FirstName: first, LastName: "DURAND", Source: sillage.SourceSIECLE, SIECLEID: fmt.Sprint(1000 + in.seq)},
		Unqid: "v1:" + in.name + hash, MEF: diploma + "310", Diploma: diploma, DivisionID: in.div.ID, TransferStatus: status, PreviousUAI: previous}
	if status == sillage.TransferSettled {
		s.EnteredAt = in.clock.T.AddDate(-2, 0, 0)
	}
	in.write(func(tx *store.Tx) error {
		acc := sillage.Account{Login: fmt.Sprintf("%s.%s.%d", strings.ToLower(first), strings.ToLower(in.name), in.seq)}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		s.AccountID = acc.ID
		if err := tx.People().CreateStudent(ctx, in.uai, &s); err != nil {
			return err
		}
		// What an import holding the INE stores beside the unqid.
		return tx.Imports().ReplaceFederationHashes(ctx, in.uai, []sillage.PersonFederationHashes{{PersonID: s.ID, Hashes: []string{hash}}})
	})
	return s
}

// pdf is a small valid PDF of about size bytes.
func pdf(seed string, size int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n% " + seed + "\n")
	for b.Len() < size-6 {
		fmt.Fprintf(&b, "%% %s %d\n", seed, b.Len())
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}

// record gives s evaluations (results on every competence of the
// referential, a comment on the first) and sheets with files.
func (in *peerInst) record(s sillage.Student, evals, sheets, files, fileSize int) {
	in.t.Helper()
	ctx := context.Background()
	in.write(func(tx *store.Tx) error {
		for i := 0; i < evals; i++ {
			ev := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", i+1), Date: sillage.NewDate(2025, 9, 1+i%28), Level: "Première professionnelle",
				Diploma: diploma, ReferentialID: in.ref.ID, AuthorID: in.teacher.ID, DivisionID: in.div.ID}
			if err := tx.Records().CreateEvaluation(ctx, in.uai, &ev); err != nil {
				return err
			}
			for k, c := range in.ref.Competences {
				if err := tx.Records().SetResult(ctx, in.uai, sillage.Result{EvaluationID: ev.ID, StudentID: s.ID, CompetenceID: c.ID,
					Value: fmt.Sprint(1 + (k+i)%4)}); err != nil {
					return err
				}
			}
			if i == 0 {
				if err := tx.Records().SetComment(ctx, in.uai, sillage.Comment{EvaluationID: ev.ID, StudentID: s.ID, Text: "Travail soigné"}); err != nil {
					return err
				}
			}
		}
		n := 0
		for i := 0; i < sheets; i++ {
			sh := sillage.Sheet{StudentID: s.ID, Kind: sillage.SheetBacPro, Title: fmt.Sprintf("Situation %d", i+1), Context: sillage.ContextClass,
				Class: "Atelier", AuthorID: in.teacher.ID, Result: "3", Comment: "Situation maîtrisée"}
			if err := tx.Records().CreateSheet(ctx, in.uai, &sh); err != nil {
				return err
			}
			// Per-competence results on the sheet, the third competence
			// one the destination's referential lacks.
			var rs []sillage.SheetResult
			for k, c := range in.ref.Competences[:min(3, len(in.ref.Competences))] {
				rs = append(rs, sillage.SheetResult{CompetenceID: c.ID, Value: fmt.Sprint(1 + (k+i)%4), Comment: fmt.Sprintf("Critère %d observé", k+1)})
			}
			if err := tx.Records().SetSheetResults(ctx, in.uai, sh.ID, rs); err != nil {
				return err
			}
			for f := 0; f < files/sheets+boolInt(i < files%sheets); f++ {
				n++
				content := pdf(fmt.Sprintf("%s-%d-%d", s.FirstName, i, f), fileSize)
				ref, err := in.blobs.Put(bytes.NewReader(content))
				if err != nil {
					return err
				}
				sum := sha256.Sum256(content)
				a := sillage.Attachment{SheetID: sh.ID, Name: fmt.Sprintf("compte-rendu-%d.pdf", n), SHA256: hex.EncodeToString(sum[:]),
					Size: int64(len(content)), ContentType: "application/pdf", UploadedBy: s.ID}
				_ = ref
				if err := tx.Records().AddAttachment(ctx, in.uai, &a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// deactivate does what an import does when a student leaves.
func (in *peerInst) deactivate(s sillage.Student) {
	in.t.Helper()
	ctx := context.Background()
	in.write(func(tx *store.Tx) error {
		_, err := tx.People().DeactivateStudents(ctx, in.uai, []sillage.Student{s})
		return err
	})
}

// digest is the federation digest of what s holds here ("" when s is gone).
func (in *peerInst) digest(id int64) string {
	in.t.Helper()
	var d string
	in.read(func(tx *store.Tx) error {
		ss, err := tx.CrossTenant().ListStudentsByRef(context.Background(), []sillage.StudentRef{{UAI: in.uai, StudentID: id}})
		if err != nil || len(ss) == 0 {
			return err
		}
		rec, err := records.Load(context.Background(), tx, in.uai, []int64{id})
		if err != nil {
			return err
		}
		d = federation.Digest(records.ToFile(rec, records.ExportOptions{}).Students[0])
		return nil
	})
	return d
}

func (in *peerInst) counts(id int64) federation.Counts {
	in.t.Helper()
	var c federation.Counts
	in.read(func(tx *store.Tx) error {
		rec, err := records.Load(context.Background(), tx, in.uai, []int64{id})
		if err != nil || len(rec.Students) == 0 {
			return err
		}
		c = federation.CountsOf(records.ToFile(rec, records.ExportOptions{}).Students[0])
		return nil
	})
	return c
}

func (in *peerInst) studentRow(id int64) (sillage.Student, bool) {
	in.t.Helper()
	var out []sillage.Student
	in.read(func(tx *store.Tx) (err error) {
		out, err = tx.CrossTenant().ListStudentsByRef(context.Background(), []sillage.StudentRef{{UAI: in.uai, StudentID: id}})
		return err
	})
	if len(out) == 0 {
		return sillage.Student{}, false
	}
	return out[0], true
}

func (in *peerInst) run() *federation.Report {
	in.t.Helper()
	rep, err := in.node.Run(context.Background())
	if err != nil {
		in.t.Fatalf("run of %s: %v", in.name, err)
	}
	return rep
}

func advance(d time.Duration, ins ...*peerInst) {
	for _, in := range ins {
		in.clock.Advance(d)
	}
}

func (in *peerInst) requests() []sillage.FederationRequest {
	in.t.Helper()
	var qs []sillage.FederationRequest
	in.read(func(tx *store.Tx) (err error) {
		qs, err = tx.CrossTenant().ListFederationRequests(context.Background(), "")
		return err
	})
	return qs
}

func (in *peerInst) served() []sillage.FederationServed {
	in.t.Helper()
	var ss []sillage.FederationServed
	in.read(func(tx *store.Tx) (err error) {
		ss, err = tx.CrossTenant().ListFederationServed(context.Background(), "")
		return err
	})
	return ss
}

func (in *peerInst) log(side sillage.TransferSide) []sillage.TransferLogEntry {
	in.t.Helper()
	var ls []sillage.TransferLogEntry
	in.read(func(tx *store.Tx) (err error) {
		ls, err = tx.Transfer().ListTransferLog(context.Background(), in.uai, sillage.TransferLogFilter{Side: side})
		return err
	})
	return ls
}

// audits counts the entries of action in a chain ("" the instance's).
func (in *peerInst) audits(uai sillage.UAI, action string) int {
	in.t.Helper()
	var es []sillage.AuditEntry
	in.read(func(tx *store.Tx) (err error) {
		es, err = tx.Audit().ListAudit(context.Background(), uai, sillage.AuditFilter{})
		return err
	})
	n := 0
	for _, e := range es {
		if e.Action == action {
			n++
		}
	}
	return n
}

// pair is the two instances of a test: A (origin) and B (destination).
func pair(t testing.TB, ka, kb store.Kind) (*peerInst, *peerInst) {
	a := newInstance(t, "A", ka, 1)
	b := newInstance(t, "B", kb, 2)
	declare(a, b)
	return a, b
}

// engines are the (A, B) engines: one SQLite, one PostgreSQL when
// configured (else both SQLite).
func engines(t testing.TB) (store.Kind, store.Kind) {
	ks := storetest.Engines(t)
	return ks[0], ks[len(ks)-1]
}
