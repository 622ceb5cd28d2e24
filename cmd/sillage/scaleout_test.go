package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/blob/blobtest"
	"github.com/sillage/sillage/internal/jobs"
	"github.com/sillage/sillage/internal/rollover"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestTwoServersOnePostgres: two `sillage serve` processes, each with a
// data directory of its own, share one PostgreSQL database, one bucket of
// an object store and the key files. A handful of clients load both with
// a few hundred requests (sign-in, grid read and write, uploads, each
// client alternating between the servers) while a transfer run and step 1
// of the changeover run in the servers' background jobs. Then: every job
// ran once (one attempt, completed, River's leader election and locking),
// the step is done once per establishment, every acknowledged write is in
// the database, and every uploaded file is readable from the other server.
func TestTwoServersOnePostgres(t *testing.T) {
	if os.Getenv("SILLAGE_TEST_POSTGRES") == "" {
		if os.Getenv("SILLAGE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("SILLAGE_REQUIRE_POSTGRES=1 but SILLAGE_TEST_POSTGRES is not set")
		}
		t.Skip("several servers need PostgreSQL (SILLAGE_TEST_POSTGRES)")
	}
	s3, ok := blobtest.S3(t)
	if !ok {
		t.Skip("several servers need an object store (SILLAGE_TEST_S3_ENDPOINT, .ci/objectstore.sh)")
	}
	if testing.Short() {
		t.Skip("builds the binary and starts two servers")
	}
	start := time.Now()
	root := t.TempDir()
	bin := filepath.Join(root, "sillage")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("binary built in %v", time.Since(start).Round(time.Millisecond))

	dsn := storetest.DSN(t, store.Postgres)
	bucket := blobtest.NewBucket(t, s3)
	// The key files are shared (the first process's data directory holds
	// them); each process has its own data directory otherwise.
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")
	common := map[string]string{
		"SILLAGE_DB":                 dsn.URL,
		"SILLAGE_BLOB_S3_ENDPOINT":   s3.Endpoint,
		"SILLAGE_BLOB_S3_BUCKET":     bucket,
		"SILLAGE_BLOB_S3_ACCESS_KEY": s3.AccessKey,
		"SILLAGE_BLOB_S3_SECRET_KEY": s3.SecretKey,
		"SILLAGE_BLOB_S3_REGION":     s3.Region,
		"SILLAGE_BLOB_S3_TLS":        fmt.Sprint(s3.TLS),
		"SILLAGE_ADDR":               "127.0.0.1:0",
		"SILLAGE_JOB_WORKERS":        "2",
	}
	envA := map[string]string{"SILLAGE_DATA_DIR": dirA}
	envB := map[string]string{"SILLAGE_DATA_DIR": dirB,
		"SILLAGE_ID_KEY_FILE":            filepath.Join(dirA, "id-key"),
		"SILLAGE_AUDIT_KEY_FILE":         filepath.Join(dirA, "audit-key"),
		"SILLAGE_AUDIT_SIGNING_KEY_FILE": filepath.Join(dirA, "audit-signing-key"),
	}
	for k, v := range common {
		envA[k], envB[k] = v, v
	}

	// The academy, its movers left waiting for the transfer run.
	c := &cli{t: t, env: envA, dsn: dsn}
	code, out, errs := c.run("demo", "--no-serve", "--no-transfer", "--no-livret", "--establishments", "2", "--students", "120", "--now", "2026-06-15")
	if code != exitOK {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	teachers, students := demoLogins(out, sillage.RoleTeacher.Label()), demoLogins(out, sillage.RoleStudent.Label())
	if len(teachers) == 0 || len(students) == 0 {
		t.Fatalf("demo accounts: %d teachers, %d students\n%s", len(teachers), len(students), out)
	}
	st, err := store.Open(context.Background(), dsn, store.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.SQLDB()

	// Both servers on the changeover's clock (step 1 is in its window).
	const now = "2026-07-15T08:00:00Z"
	a := startServer(t, bin, envA, now)
	b := startServer(t, bin, envB, now)
	servers := []string{a, b}

	// The background work, queued while the clients run.
	digest := previewDigest(t, c, "1", now)
	loadDone := make(chan struct{})
	var bgErr error
	go func() {
		defer close(loadDone)
		time.Sleep(300 * time.Millisecond)
		if code, out, errs := c.run("jobs", "enqueue", "transfer"); code != exitOK {
			bgErr = fmt.Errorf("enqueue transfer: %d %q %q", code, out, errs)
			return
		}
		if code, out, errs := c.run("rollover", "enqueue", "--year", "2025", "--step", "1", "--now", now, "--apercu", digest); code != exitOK {
			bgErr = fmt.Errorf("enqueue step 1: %d %q %q", code, out, errs)
		}
	}()

	const clients, rounds = 6, 20
	var (
		mu       sync.Mutex
		requests int
		written  = map[string]string{} // "evaluation/student/competence" -> the value acknowledged
		acked    int                   // cell writes acknowledged
		uploaded []string              // SHA-256 of the files acknowledged
		failures []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	loadStart := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			teacher := i%2 == 0
			login := students[i/2%len(students)]
			if teacher {
				login = teachers[i/2%len(teachers)]
			}
			cl := newClient(t)
			defer func() {
				mu.Lock()
				requests += cl.n
				mu.Unlock()
			}()
			var cells [][2]string // student, competence
			var scale []string
			var evaluation, sheet string
			for r := range rounds {
				// Each request on the other server than the last: the
				// session opened on one is used on the other.
				srv := func(k int) string { return servers[(i+r+k)%2] }
				if r%4 == 0 {
					if err := cl.signIn(srv(0), login); err != nil {
						fail("client %d: sign-in on %s: %v", i, srv(0), err)
						return
					}
				}
				if teacher {
					if evaluation == "" {
						// The first of this teacher's evaluations whose grid
						// has cells to fill.
						_, page, err := cl.get(srv(1), "/evaluations")
						ids := regexp.MustCompile(`href="/evaluations/(\d+)"`).FindAllStringSubmatch(page, -1)
						if err != nil || len(ids) == 0 {
							fail("client %d: no evaluation listed: %v", i, err)
							return
						}
						for _, id := range ids {
							_, grid, err := cl.get(srv(0), "/evaluations/"+id[1])
							if err != nil {
								fail("client %d: grid: %v", i, err)
								return
							}
							cells = nil
							for _, m := range regexp.MustCompile(`id="in-(\d+)-(\d+)"`).FindAllStringSubmatch(grid, -1) {
								cells = append(cells, [2]string{m[1], m[2]})
							}
							if len(cells) > 0 {
								evaluation = id[1]
								for _, m := range regexp.MustCompile(`<option value="([^"]+)"`).FindAllStringSubmatch(grid[strings.Index(grid, `id="echelle"`)+1:], -1) {
									scale = append(scale, m[1])
								}
								break
							}
						}
						if evaluation == "" || len(scale) == 0 {
							fail("client %d: none of %d evaluations has a grid to fill", i, len(ids))
							return
						}
					} else if _, _, err := cl.get(srv(0), "/evaluations/"+evaluation); err != nil {
						fail("client %d: grid: %v", i, err)
						continue
					}
					// Clients of the same teacher write disjoint cells: the
					// last value each acknowledged must be the one kept.
					var own [][2]string
					for k, c := range cells {
						if k%3 == i/2 {
							own = append(own, c)
						}
					}
					if len(own) == 0 {
						continue
					}
					cell := own[r%len(own)]
					v := scale[(i+r)%len(scale)]
					status, body, err := cl.post(srv(1), "/evaluations/"+evaluation+"/resultat", url.Values{"eleve": {cell[0]}, "competence": {cell[1]}, "valeur": {v}})
					if err == nil && status == http.StatusOK && strings.Contains(body, "enregistré") {
						mu.Lock()
						written[evaluation+"/"+cell[0]+"/"+cell[1]] = v
						acked++
						mu.Unlock()
					} else if status != http.StatusOK && status != http.StatusForbidden && status != http.StatusServiceUnavailable && status != http.StatusConflict {
						fail("client %d: write cell: %d %v %.200s", i, status, err, body)
					}
					continue
				}
				if sheet == "" {
					status, loc, err := cl.postLocation(srv(1), "/mon-livret/fiches", url.Values{"type": {"bacpro"}, "intitule": {fmt.Sprintf("Charge %d", i)},
						"description": {"Fiche écrite pendant l'essai de deux serveurs."}})
					m := regexp.MustCompile(`^/mon-livret/fiches/(\d+)$`).FindStringSubmatch(loc)
					if err != nil || status != http.StatusSeeOther || m == nil {
						fail("client %d: new sheet: %d %q %v", i, status, loc, err)
						return
					}
					sheet = m[1]
				}
				content := []byte(fmt.Sprintf("%%PDF-1.4\n%% Compte rendu %d-%d, écrit sur %s à %s.\n%%%%EOF\n", i, r, srv(0), time.Now().Format(time.RFC3339Nano)))
				status, err := cl.upload(srv(0), "/mon-livret/fiches/"+sheet+"/fichiers", fmt.Sprintf("compte-rendu-%d-%d.pdf", i, r), content)
				if err == nil && status == http.StatusSeeOther {
					sum := sha256.Sum256(content)
					mu.Lock()
					uploaded = append(uploaded, hex.EncodeToString(sum[:]))
					mu.Unlock()
				} else if status != http.StatusForbidden && status != http.StatusServiceUnavailable {
					fail("client %d: upload: %d %v", i, status, err)
				}
				if _, _, err := cl.get(srv(1), "/mon-livret/fiches/"+sheet); err != nil {
					fail("client %d: sheet page: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	loadEnd := time.Now()
	<-loadDone
	if bgErr != nil {
		t.Fatal(bgErr)
	}
	for _, f := range failures {
		t.Error(f)
	}
	if len(written) == 0 || len(uploaded) == 0 {
		t.Fatalf("the load wrote %d cells and uploaded %d files: nothing to check", len(written), len(uploaded))
	}

	// The background work: every job once.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var pending int
		if err := db.QueryRow(`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		var steps int
		if err := db.QueryRow(`SELECT count(*) FROM rollover_steps WHERE school_year = 2025 AND step = 1 AND state = 'done'`).Scan(&steps); err != nil {
			t.Fatal(err)
		}
		if pending == 0 && steps == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("background work not over after 3 minutes: %d jobs pending, step 1 done in %d establishments", pending, steps)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The transfer run and the step ran while the clients did.
	var firstBackground time.Time
	if err := db.QueryRow(`SELECT min(attempted_at) FROM river_job WHERE kind IN ($1, $2)`, jobs.KindTransfer, rollover.JobKind).Scan(&firstBackground); err != nil {
		t.Fatal(err)
	}
	if !firstBackground.Before(loadEnd) {
		t.Errorf("the background work started at %v, after the load (%v to %v)", firstBackground, loadStart, loadEnd)
	}
	t.Logf("load: %v (%v to %v); background work started %v after the load did", loadEnd.Sub(loadStart).Round(time.Millisecond),
		loadStart.Format("15:04:05.000"), loadEnd.Format("15:04:05.000"), firstBackground.Sub(loadStart).Round(time.Millisecond))
	rows, err := db.Query(`SELECT kind, state, attempt, COALESCE(attempted_by[1], '') FROM river_job ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	ranBy := map[string]int{}
	kinds := map[string]int{}
	for rows.Next() {
		var kind, state, by string
		var attempt int
		if err := rows.Scan(&kind, &state, &attempt, &by); err != nil {
			t.Fatal(err)
		}
		kinds[kind]++
		ranBy[by]++
		if state != "completed" || attempt != 1 {
			t.Errorf("job %s: %s after %d attempt(s), want completed after one", kind, state, attempt)
		}
	}
	rows.Close()
	t.Logf("jobs: %v, run by %v", kinds, ranBy)
	if kinds[jobs.KindTransfer] != 1 || kinds[rollover.JobKind] != 2 {
		t.Errorf("jobs %v: want one transfer run and step 1 once per establishment", kinds)
	}
	var attempts, doneTransfers, distinct int
	if err := db.QueryRow(`SELECT COALESCE(max(attempts), 0) FROM rollover_steps WHERE school_year = 2025 AND step = 1`).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 1 {
		t.Errorf("step 1 attempted %d times in an establishment, want once", attempts)
	}
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT origin_uai || '/' || origin_student_id) FROM transfer_log WHERE done`).Scan(&doneTransfers, &distinct); err != nil {
		t.Fatal(err)
	}
	if doneTransfers == 0 || doneTransfers != distinct {
		t.Errorf("transfers done: %d rows for %d students, want one per mover (and some)", doneTransfers, distinct)
	}

	// Nothing lost: every acknowledged cell holds its value.
	for key, v := range written {
		p := strings.Split(key, "/")
		var got string
		if err := db.QueryRow(`SELECT value FROM results WHERE evaluation_id = $1 AND student_id = $2 AND competence_id = $3`, p[0], p[1], p[2]).Scan(&got); err != nil {
			t.Errorf("cell %s: %v", key, err)
		} else if got != v {
			t.Errorf("cell %s = %q, want %q", key, got, v)
		}
	}
	// Every acknowledged file is referenced, in the bucket, and served by
	// both servers to its owner.
	blobs, err := blob.OpenS3(context.Background(), blob.S3Config{Endpoint: s3.Endpoint, Bucket: bucket, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
		Region: s3.Region, TLS: s3.TLS}, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	owners := map[string]*client{}
	for _, sum := range uploaded {
		var id int64
		var login string
		err := db.QueryRow(`SELECT a.id, acc.login FROM attachments a JOIN persons p ON p.uai = a.uai AND p.id = a.uploaded_by
			JOIN accounts acc ON acc.id = p.account_id WHERE a.sha256 = $1`, sum).Scan(&id, &login)
		if err != nil {
			t.Errorf("file %s: %v", sum, err)
			continue
		}
		if !blobs.Has(sum) {
			t.Errorf("file %s: not in the bucket", sum)
		}
		cl := owners[login]
		if cl == nil {
			cl = newClient(t)
			if err := cl.signIn(servers[0], login); err != nil {
				t.Fatal(err)
			}
			owners[login] = cl
		}
		for _, srv := range servers {
			_, body, err := cl.get(srv, fmt.Sprintf("/mon-livret/fichiers/%d", id))
			got := sha256.Sum256([]byte(body))
			if err != nil || hex.EncodeToString(got[:]) != sum {
				t.Errorf("file %s from %s: %v, content differs", sum, srv, err)
			}
		}
	}
	// A backup lists the files and finds them in the bucket.
	code, out, errs = c.run("backup", filepath.Join(root, "sauvegarde"))
	if code != exitOK || !strings.Contains(out, "compartiment "+bucket) || strings.Contains(out, "attention") {
		t.Errorf("backup: %d %q %q", code, out, errs)
	}
	if code, _, errs := c.run("restore", filepath.Join(root, "sauvegarde")); code == exitOK || !strings.Contains(errs, "SILLAGE_BLOB_S3_ENDPOINT") {
		t.Errorf("restore onto an object store: %d %q", code, errs)
	}
	t.Logf("%d requests by %d clients on two servers; %d cell writes acknowledged (%d cells), %d files uploaded; %d movers transferred; %v in all",
		requests, clients, acked, len(written), len(uploaded), doneTransfers, time.Since(start).Round(time.Millisecond))
}

// startServer starts `sillage serve` with env at the clock now and returns
// its URL; the test stops it (SIGTERM, then waits) when it ends.
func startServer(t *testing.T, bin string, env map[string]string, now string) string {
	t.Helper()
	cmd := exec.Command(bin, "--now", now, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "Sillage écoute sur "); ok {
				urls <- strings.TrimSpace(rest)
			}
		}
		close(urls)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server %s, its errors:\n%s", env["SILLAGE_DATA_DIR"], stderr.String())
		}
	})
	select {
	case u, ok := <-urls:
		if !ok {
			t.Fatalf("serve stopped before listening:\n%s", stderr.String())
		}
		return u
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within a minute:\n%s", stderr.String())
	}
	return ""
}

// demoLogins lists the demo accounts of a role from the demo's output.
func demoLogins(out, role string) []string {
	var logins []string
	sep := regexp.MustCompile(`\s{2,}`)
	for _, line := range strings.Split(out, "\n") {
		f := sep.Split(strings.TrimSpace(line), -1)
		if len(f) >= 2 && f[1] == role {
			logins = append(logins, f[0])
		}
	}
	return logins
}

// client is one person's browser: its cookies (sent to both servers, which
// share the host), no redirect followed, its requests counted.
type client struct {
	t *testing.T
	c *http.Client
	n int
}

func newClient(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(req *http.Request) (int, string, string, error) {
	c.n++
	resp, err := c.c.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location"), err
}

func (c *client) signIn(srv, login string) error {
	status, _, loc, err := c.form(srv, "/connexion", url.Values{"login": {login}, "password": {DemoPassword}, "retour": {"/"}})
	if err == nil && status != http.StatusSeeOther {
		err = fmt.Errorf("status %d (%s)", status, loc)
	}
	if err == nil {
		// Home sends a first sign-in to the privacy notice.
		req, _ := http.NewRequest("GET", srv+"/", nil)
		status, _, loc, err = c.do(req)
		if err == nil && status != http.StatusOK && status != http.StatusSeeOther {
			err = fmt.Errorf("home: status %d", status)
		}
	}
	if err == nil && strings.HasPrefix(loc, "/premiere-connexion") {
		// The first sign-in shows the privacy notice, acknowledged once
		// (on whichever server).
		status, _, loc, err = c.form(srv, "/premiere-connexion", url.Values{"ack": {"1"}})
		if err == nil && status != http.StatusSeeOther {
			err = fmt.Errorf("privacy notice: status %d (%s)", status, loc)
		}
	}
	return err
}

func (c *client) get(srv, path string) (int, string, error) {
	req, err := http.NewRequest("GET", srv+path, nil)
	if err != nil {
		return 0, "", err
	}
	status, body, _, err := c.do(req)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("GET %s: status %d", path, status)
	}
	return status, body, err
}

func (c *client) form(srv, path string, form url.Values) (int, string, string, error) {
	req, err := http.NewRequest("POST", srv+path, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) post(srv, path string, form url.Values) (int, string, error) {
	status, body, _, err := c.form(srv, path, form)
	return status, body, err
}

func (c *client) postLocation(srv, path string, form url.Values) (int, string, error) {
	status, _, loc, err := c.form(srv, path, form)
	return status, loc, err
}

func (c *client) upload(srv, path, name string, content []byte) (int, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("fichier", name)
	if err != nil {
		return 0, err
	}
	fw.Write(content)
	mw.Close()
	req, err := http.NewRequest("POST", srv+path, &buf)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	status, _, _, err := c.do(req)
	return status, err
}
