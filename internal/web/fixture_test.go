package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/config"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/web"
)

// Test establishments: A is where the fixture's data lives, B is the other
// tenant whose users must never reach A.
const (
	uaiA = sillage.UAI("0860012W")
	uaiB = sillage.UAI("0010856A")
)

// fixturePassword is every fixture account's password; its hash is
// computed once per process (Argon2id is deliberately slow).
const fixturePassword = "mot-de-passe-2026"

var fixtureHash string

// tenant is one establishment of the fixture with a person per role.
type tenant struct {
	UAI      sillage.UAI
	Persons  map[sillage.Role]sillage.Person
	Division sillage.Division
	Student  sillage.Student
	// IDs of the entities of the establishment, by path parameter name
	// ({student}, {evaluation}…), used to fill the routes' patterns.
	IDs map[string]int64
	// RoleIDs override IDs for one role: entities that belong to their
	// person (a message is its recipient's).
	RoleIDs map[sillage.Role]map[string]int64
}

type fixture struct {
	t       *testing.T
	st      *store.Store
	blobs   blob.Store
	blobDir string
	clock   *storetest.Clock
	cfg     *config.Config
	srv     *web.Server
	ts      *httptest.Server
	a, b    *tenant
	opAcc   sillage.Account
	tokens  map[string]string // "A/teacher" -> session token
}

// fixtureSetups lets the capabilities' tests add their entities (with the
// path parameter names their routes use) to every tenant of the fixture.
var fixtureSetups []func(ctx context.Context, tx *store.Tx, f *fixture, t *tenant) error

func newFixture(t *testing.T) *fixture {
	return newFixtureOn(t, store.SQLite)
}

// TestMain removes the fixture template. Tests of this package must not
// define another TestMain.
func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	if fixtureKey.dir != "" {
		os.RemoveAll(fixtureKey.dir)
	}
	os.Exit(code)
}

// template is a migrated SQLite fixture built once and copied for each
// test: a fresh fixture then costs a file copy, not migrations.
var template struct {
	once   sync.Once
	err    error
	dir    string
	db     string
	blobs  string
	a, b   *tenant
	opAcc  sillage.Account
	hashed string
}

func newFixtureOn(t *testing.T, kind store.Kind) *fixture {
	t.Helper()
	ctx := context.Background()
	if fixtureHash == "" {
		h, err := auth.HashPassword(ctx, fixturePassword)
		if err != nil {
			t.Fatal(err)
		}
		fixtureHash = h
	}
	if kind != store.SQLite {
		f := &fixture{t: t, clock: &storetest.Clock{T: storetest.Epoch}, tokens: map[string]string{}}
		f.st = storetest.Open(t, kind, f.clock)
		f.blobDir = t.TempDir()
		f.blobs = openBlobs(t, f.blobDir)
		f.populate(ctx)
		f.serve()
		return f
	}
	template.once.Do(func() { template.err = buildTemplate(t) })
	if template.err != nil {
		t.Fatal(template.err)
	}
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "sillage.db")
	if err := copyFile(template.db, dbPath); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &storetest.Clock{T: storetest.Epoch}, tokens: map[string]string{}, a: template.a.clone(), b: template.b.clone(), opAcc: template.opAcc}
	st, err := store.Open(ctx, store.DSN{Kind: store.SQLite, Path: dbPath}, store.Options{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.blobDir = template.blobs
	f.blobs = openBlobs(t, f.blobDir)
	f.serve()
	return f
}

func buildTemplate(t *testing.T) error {
	dir, err := os.MkdirTemp("", "sillage-web-fixture-")
	if err != nil {
		return err
	}
	template.dir, template.db, template.blobs = dir, filepath.Join(dir, "sillage.db"), filepath.Join(dir, "files")
	ctx := context.Background()
	f := &fixture{t: t, clock: &storetest.Clock{T: storetest.Epoch}, tokens: map[string]string{}}
	st, err := store.Open(ctx, store.DSN{Kind: store.SQLite, Path: template.db}, store.Options{Clock: f.clock})
	if err != nil {
		return err
	}
	f.st = st
	f.blobs, err = blob.Open(template.blobs, 1<<20)
	if err != nil {
		return err
	}
	defer f.blobs.Close()
	f.populate(ctx)
	template.a, template.b, template.opAcc = f.a, f.b, f.opAcc
	// Closing the store checkpoints the WAL into the file we copy.
	return st.Close()
}

func openBlobs(t *testing.T, dir string) blob.Store {
	b, err := blob.Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}

func (tn *tenant) clone() *tenant {
	c := *tn
	c.Persons = maps.Clone(tn.Persons)
	c.IDs = maps.Clone(tn.IDs)
	c.RoleIDs = map[sillage.Role]map[string]int64{}
	for r, m := range tn.RoleIDs {
		c.RoleIDs[r] = maps.Clone(m)
	}
	return &c
}

// populate creates the two tenants and the operator.
func (f *fixture) populate(ctx context.Context) {
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		var err error
		if f.a, err = f.tenant(ctx, tx, uaiA, "Lycée A"); err != nil {
			return err
		}
		if f.b, err = f.tenant(ctx, tx, uaiB, "Collège B"); err != nil {
			return err
		}
		f.opAcc = sillage.Account{Login: "operateur", PasswordHash: fixtureHash, Operator: true, PrivacyVersion: web.PrivacyNoticeVersion}
		return tx.Accounts().CreateAccount(ctx, &f.opAcc)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// fixtureKey is the secrets key of every fixture (the template's sealed
// files open with it): one file outside every data directory.
var fixtureKey struct {
	once sync.Once
	dir  string
	path string
	box  *sealbox.Box
	err  error
}

func fixtureBox(t testing.TB) (*sealbox.Box, string) {
	fixtureKey.once.Do(func() {
		fixtureKey.dir, fixtureKey.err = os.MkdirTemp("", "sillage-web-key-")
		if fixtureKey.err == nil {
			fixtureKey.path = filepath.Join(fixtureKey.dir, "secrets-key")
			fixtureKey.box, fixtureKey.err = sealbox.LoadOrCreate(fixtureKey.path)
		}
	})
	if fixtureKey.err != nil {
		t.Fatal(fixtureKey.err)
	}
	return fixtureKey.box, fixtureKey.path
}

// rolloverEngine is the changeover's engine over the fixture, with what
// serve gives it (cmd/sillage wire.go): the secrets key and step 4's
// importer.
func (f *fixture) rolloverEngine() *rollover.Engine {
	f.t.Helper()
	box, _ := fixtureBox(f.t)
	kr, err := ident.LoadOrCreate(f.cfg.IDKeyFile)
	if err != nil {
		f.t.Fatal(err)
	}
	return &rollover.Engine{Store: f.st, Blobs: f.blobs, Retention: f.cfg.Retention, Box: box,
		Importer: &directory.Importer{Store: f.st, Keyring: kr, MassDeactivation: f.cfg.MassDeactivation, MaxExpanded: f.cfg.MaxImport}}
}

// serve starts the web server over the fixture's store.
func (f *fixture) serve() {
	cfg := config.Default()
	cfg.DataDir = f.t.TempDir()
	_, cfg.SecretsKeyFile = fixtureBox(f.t)
	if err := cfg.Validate(); err != nil {
		f.t.Fatal(err)
	}
	// The fixture's students carry unqids: their instance has its key
	// (a missing one would be refused, internal/keyreg).
	if _, err := ident.LoadOrCreate(cfg.IDKeyFile); err != nil {
		f.t.Fatal(err)
	}
	f.cfg = &cfg
	var err error
	f.srv, err = web.NewServer(web.Deps{Config: &cfg, Store: f.st, Blobs: f.blobs, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Rollover: f.rolloverEngine()})
	if err != nil {
		f.t.Fatal(err)
	}
	f.ts = httptest.NewServer(f.srv)
	f.t.Cleanup(f.ts.Close)
}

// tenant creates an establishment with a division and a person per role,
// each with an account that has read the notice and chosen a password. It
// is a collège so that every route answers, the Livret Scolaire's included
// (LSU concerns écoles and collèges only).
func (f *fixture) tenant(ctx context.Context, tx *store.Tx, uai sillage.UAI, name string) (*tenant, error) {
	tn := &tenant{UAI: uai, Persons: map[sillage.Role]sillage.Person{}, IDs: map[string]int64{}, RoleIDs: map[sillage.Role]map[string]int64{}}
	if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: name, Kind: sillage.KindCollege}); err != nil {
		return nil, err
	}
	tn.Division = sillage.Division{SchoolYear: sillage.SchoolYearOf(f.clock.T), Code: "1SN", Label: "1re SN"}
	if err := tx.People().CreateDivision(ctx, uai, &tn.Division); err != nil {
		return nil, err
	}
	tn.IDs["division"] = tn.Division.ID
	newAccount := func(login string) (int64, error) {
		acc := sillage.Account{Login: login + "." + strings.ToLower(string(uai)), PasswordHash: fixtureHash, PrivacyVersion: web.PrivacyNoticeVersion}
		err := tx.Accounts().CreateAccount(ctx, &acc)
		return acc.ID, err
	}
	for _, role := range []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleAdministrator, sillage.RoleStaff} {
		accID, err := newAccount(string(role))
		if err != nil {
			return nil, err
		}
		p := sillage.Person{Role: role, FirstName: strings.ToUpper(string(role[:1])) + string(role[1:]), LastName: name, Source: sillage.SourceManual, AccountID: accID}
		if err := tx.People().CreatePerson(ctx, uai, &p); err != nil {
			return nil, err
		}
		tn.Persons[role] = p
	}
	accID, err := newAccount("student")
	if err != nil {
		return nil, err
	}
	tn.Student = sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Élève " + name, Source: sillage.SourceSIECLE, SIECLEID: "1001", AccountID: accID},
		Unqid: "v1:TEST" + string(uai), MEF: "24732205310", Diploma: "24732205", DivisionID: tn.Division.ID}
	if err := tx.People().CreateStudent(ctx, uai, &tn.Student); err != nil {
		return nil, err
	}
	tn.Persons[sillage.RoleStudent] = tn.Student.Person
	tn.IDs["student"] = tn.Student.ID
	accID, err = newAccount("parent")
	if err != nil {
		return nil, err
	}
	parent := sillage.Person{Role: sillage.RoleParent, FirstName: "Paul", LastName: "Parent " + name, Source: sillage.SourceSIECLE, AccountID: accID}
	if err := tx.People().CreatePerson(ctx, uai, &parent); err != nil {
		return nil, err
	}
	tn.Persons[sillage.RoleParent] = parent
	if err := tx.People().LinkGuardian(ctx, uai, sillage.Guardianship{ParentID: parent.ID, StudentID: tn.Student.ID, Legal: true}); err != nil {
		return nil, err
	}
	teacher := tn.Persons[sillage.RoleTeacher]
	if err := tx.People().ReplaceServices(ctx, uai, teacher.ID, []sillage.Service{{DivisionID: tn.Division.ID, SubjectCode: "000000"}}); err != nil {
		return nil, err
	}
	for role, p := range tn.Persons {
		m := sillage.InboxMessage{RecipientID: p.ID, Sender: "Sillage", Subject: "Bienvenue", Body: "Bonjour"}
		if err := tx.Accounts().SendMessage(ctx, uai, &m); err != nil {
			return nil, err
		}
		tn.setRoleID(role, "message", m.ID)
	}
	for _, setup := range fixtureSetups {
		if err := setup(ctx, tx, f, tn); err != nil {
			return nil, err
		}
	}
	return tn, nil
}

// session opens a session for a person of a tenant (no password check:
// the matrix tests the policy, not the sign-in) and returns a client.
func (f *fixture) session(tn *tenant, role sillage.Role) *http.Client {
	f.t.Helper()
	key := string(tn.UAI) + "/" + string(role)
	token, ok := f.tokens[key]
	if !ok {
		ctx := context.Background()
		token, _ = auth.NewToken()
		err := f.st.Write(ctx, func(tx *store.Tx) error {
			sess := sillage.Session{TokenHash: auth.HashToken(token), CreatedAt: f.clock.T, LastSeenAt: f.clock.T, ExpiresAt: f.clock.T.Add(f.cfg.SessionIdle)}
			if role == "operator" {
				sess.AccountID = f.opAcc.ID
			} else {
				p := tn.Persons[role]
				sess.AccountID, sess.UAI, sess.PersonID = p.AccountID, tn.UAI, p.ID
			}
			return tx.Accounts().CreateSession(ctx, sess)
		})
		if err != nil {
			f.t.Fatal(err)
		}
		f.tokens[key] = token
	}
	return f.clientWithToken(token)
}

// apiToken returns an API token of a person of a tenant (made once, kept
// with the sessions' tokens).
func (f *fixture) apiToken(tn *tenant, role sillage.Role, scope sillage.TokenScope) string {
	f.t.Helper()
	key := "api/" + string(tn.UAI) + "/" + string(role) + "/" + string(scope)
	if token, ok := f.tokens[key]; ok {
		return token
	}
	token, _ := auth.NewToken()
	ctx := context.Background()
	err := f.st.Write(ctx, func(tx *store.Tx) error {
		return tx.Accounts().CreateAPIToken(ctx, tn.UAI, &sillage.APIToken{TokenHash: auth.HashToken(token), Label: "matrice", PersonID: tn.Persons[role].ID, Scope: scope})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.tokens[key] = token
	return token
}

func (f *fixture) clientWithToken(token string) *http.Client {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(f.ts.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "sillage_session", Value: token, Path: "/"}})
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// anonymous is a client without a session.
func (f *fixture) anonymous() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request and returns the status and body.
func (f *fixture) do(c *http.Client, method, path string, form url.Values) (int, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.ts.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (tn *tenant) setRoleID(role sillage.Role, name string, id int64) {
	if tn.RoleIDs[role] == nil {
		tn.RoleIDs[role] = map[string]int64{}
	}
	tn.RoleIDs[role][name] = id
	if _, ok := tn.IDs[name]; !ok {
		tn.IDs[name] = id
	}
}

// fill replaces {name} parameters of a pattern with the tenant's ids, as
// seen by role.
func (tn *tenant) fill(pattern string, role sillage.Role) (string, error) {
	out := pattern
	for {
		i := strings.Index(out, "{")
		if i < 0 {
			return out, nil
		}
		j := strings.Index(out[i:], "}")
		name := strings.TrimSuffix(out[i+1:i+j], "...")
		id, ok := tn.RoleIDs[role][name]
		if !ok {
			id, ok = tn.IDs[name]
		}
		if !ok {
			return "", fmt.Errorf("no fixture id for path parameter {%s}: add the entity to the fixture", name)
		}
		out = out[:i] + fmt.Sprint(id) + out[i+j+1:]
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }
