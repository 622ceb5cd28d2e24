package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

func TestEstablishmentTransferCommand(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			if code, _, errs := c.run("establishment", "add", "--uai", "0860012W", "--name", "Lycée Rosa Bonheur"); code != exitOK {
				t.Fatal(errs)
			}
			code, _, errs := c.run("establishment", "transfer", "--uai", "0860012W", "--enable")
			if code != exitUsage || !strings.Contains(errs, "numéro de déclaration CNIL") {
				t.Fatalf("enable without reference: %d %q", code, errs)
			}
			code, _, errs = c.run("establishment", "transfer", "--uai", "0860012W", "--enable", "--reference", strings.Repeat("9", 65))
			if code != exitUsage || !strings.Contains(errs, "64 caractères") {
				t.Fatalf("too long: %d %q", code, errs)
			}
			code, out, errs := c.run("establishment", "transfer", "--uai", "0860012W", "--enable", "--reference", " 1234567 ")
			if code != exitOK || !strings.Contains(out, "activé") {
				t.Fatalf("enable: %d %q %q", code, out, errs)
			}
			code, out, _ = c.run("establishment", "list", "--json")
			var rows []map[string]any
			json.Unmarshal([]byte(out), &rows)
			if code != exitOK || len(rows) != 1 || rows[0]["transfert_active"] != true {
				t.Fatalf("list: %s", out)
			}
			code, out, _ = c.run("establishment", "transfer", "--uai", "0860012W", "--disable")
			if code != exitOK || !strings.Contains(out, "désactivé") {
				t.Fatalf("disable: %d %q", code, out)
			}
			if code, out, errs := c.run("audit", "verify", "--uai", "0860012W"); code != exitOK {
				t.Errorf("audit verify: %d %q %q", code, out, errs)
			}
			dsn, _ := store.ParseDSN(c.env["SILLAGE_DB"])
			st, err := store.Open(context.Background(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var entries []sillage.AuditEntry
			st.Read(context.Background(), func(tx *store.Tx) (err error) {
				entries, err = tx.Audit().ListAudit(context.Background(), "0860012W", sillage.AuditFilter{Action: audit.TransferSettings})
				return err
			})
			if len(entries) != 2 || !strings.Contains(entries[1].Details, "transfert activé") || entries[1].ActorName != "ligne de commande" {
				t.Errorf("audit entries %+v, want on then off", entries)
			}
			code, _, errs = c.run("establishment", "transfer", "--uai", "0860012W", "--enable", "--disable", "--reference", "x")
			if code != exitUsage {
				t.Errorf("both flags: %d %q", code, errs)
			}
		})
	}
}

// TestTransferCommandsOnTheDemo: the demo academy has students who left one
// establishment for the next: a dry run lists them, a run moves them, the
// status shows them, and a purge has nothing to do yet.
func TestTransferCommandsOnTheDemo(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) { testTransferCommandsOnTheDemo(t, newCLI(t, kind)) })
	}
}

func testTransferCommandsOnTheDemo(t *testing.T, c *cli) {
	// The demo's students, with their INEs, as SIECLE exports outside the
	// data directory: what the flow must not leave at rest.
	exports := filepath.Join(t.TempDir(), "siecle")
	if code, out, errs := c.run("demo", "--no-serve", "--no-transfer", "--establishments", "4", "--students", "800", "--siecle-out", exports); code != exitOK {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	zips, _ := filepath.Glob(filepath.Join(exports, "*", "*.zip"))
	ines := storetest.INEsIn(t, zips...)
	code, out, errs := c.run("transfer", "run", "--dry-run", "--json")
	var dry transfer.Report
	if code != exitOK || json.Unmarshal([]byte(out), &dry) != nil {
		t.Fatalf("dry run: %d %q %q", code, out, errs)
	}
	if !dry.DryRun || len(dry.Transferred) == 0 || len(dry.Impossible) == 0 {
		t.Fatalf("dry run found %d transfers and %d impossible ones", len(dry.Transferred), len(dry.Impossible))
	}
	reasons := map[transfer.Reason]bool{}
	for _, i := range dry.Impossible {
		reasons[i.Reason] = true
	}
	if !reasons[transfer.ReasonDiplomaChanged] || !reasons[transfer.ReasonOriginDisabled] && !reasons[transfer.ReasonDestDisabled] {
		t.Errorf("the demo should show diploma changes and an establishment with transfer off: %v", reasons)
	}
	code, out, _ = c.run("transfer", "run")
	if code != exitOK || !strings.Contains(out, "Dossiers transféré(s) : ") || !strings.Contains(out, "empreinte") {
		t.Fatalf("run: %d %q", code, out)
	}
	code, out, _ = c.run("transfer", "run", "--json")
	var again transfer.Report
	if code != exitOK || json.Unmarshal([]byte(out), &again) != nil || len(again.Transferred) != 0 {
		t.Fatalf("second run: %d %q", code, out)
	}
	m := dry.Transferred[0]
	code, out, _ = c.run("transfer", "status", "--uai", string(m.DestUAI), "--json")
	var st transfer.Status
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || len(st.Incoming) == 0 {
		t.Fatalf("status: %d %q", code, out)
	}
	found := false
	for _, l := range st.Incoming {
		if l.Done && l.OtherUAI == m.OriginUAI && l.Manifest == m.Manifest {
			found = true
		}
	}
	if !found {
		t.Errorf("status of %s lacks the transfer from %s with digest %s: %s", m.DestUAI, m.OriginUAI, m.Manifest, out)
	}
	code, out, _ = c.run("transfer", "status", "--uai", string(m.OriginUAI))
	if code != exitOK || !strings.Contains(out, "Élèves partis") || !strings.Contains(out, string(m.DestUAI)) {
		t.Errorf("text status: %d %q", code, out)
	}
	code, out, _ = c.run("purge", "run", "--dry-run")
	if code != exitOK || !strings.Contains(out, "simulation") {
		t.Errorf("dry purge: %d %q", code, out)
	}
	// Seven months later, those who left are purged.
	code, out, _ = c.run("purge", "run", "--json", "--now", "2027-06-30")
	var pr transfer.PurgeReport
	if code != exitOK || json.Unmarshal([]byte(out), &pr) != nil || pr.Students == 0 {
		t.Errorf("purge: %d %q", code, out)
	}
	code, _, errs = c.run("transfer", "status", "--uai", "0860012X")
	if code != exitUsage {
		t.Errorf("bad UAI: %d %q", code, errs)
	}
	code, out, _ = c.run("jobs", "list", "--json")
	if code != exitOK || !strings.Contains(out, "blob_collect") {
		t.Errorf("jobs: %d %q (the runs queue a collection)", code, out)
	}
	// After the transfers and the purge, no INE of the academy rests in
	// the database or the data directory.
	c.noINEAtRest(ines)
}

// TestBrowserOperatorRunsTheTransfer serves the demo academy with its job
// queue (River on SQLite): the operator presses « Lancer le transfert
// maintenant », the worker runs it, the jobs page shows it completed, and
// the destination's dashboard shows the records received.
func TestBrowserOperatorRunsTheTransfer(t *testing.T) {
	b := browsertest.New(t)
	dir := t.TempDir()
	var out bytes.Buffer
	a, err := newApp(func(string) string { return "" }, strings.NewReader(""), &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	root := a.rootCmd()
	root.SetArgs([]string{"demo", "--no-serve", "--no-transfer", "--establishments", "4", "--students", "400", "--db", "sqlite:" + filepath.Join(dir, "demo.db"), "--data-dir", filepath.Join(dir, "data")})
	root.SetOut(&out)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	a.cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(url string) { ready <- url }) }()
	defer func() {
		cancel()
		<-done
		a.close()
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start")
	}
	b.Do(chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.CSS("#login")),
		chromedp.SendKeys(chromedp.CSS("#login"), "operateur"),
		chromedp.SendKeys(chromedp.CSS("#password"), DemoPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="ack"]`)),
		chromedp.Click(chromedp.CSS(`input[name="ack"]`)),
		chromedp.Submit(chromedp.CSS(`input[name="ack"]`)),
		chromedp.WaitVisible(chromedp.CSS("#establishments")),
		chromedp.Navigate(url+"/operateur/taches"), chromedp.WaitVisible(chromedp.CSS("#run-transfer")),
		chromedp.Click(chromedp.CSS("#run-transfer")), chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if flash := b.Text(".flash"); !strings.Contains(flash, "Transfert des dossiers lancé") {
		t.Fatalf("flash %q", flash)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.Do(chromedp.Navigate(url+"/operateur/taches"), chromedp.WaitVisible(chromedp.CSS("#jobs")))
		text := b.Text("#jobs")
		if strings.Contains(text, "à la demande (opérateur)") && strings.Contains(text, "terminée") && strings.Contains(text, "transféré(s)") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the transfer job did not complete:\n%s", text)
		}
		time.Sleep(300 * time.Millisecond)
	}
	b.Screenshot("taches-operateur")
}

// TestTransferStatusText: the text status of a new student still active
// elsewhere names both that school and the previous one (their own column),
// and dates are days of the schools' zone: a student entered at 23:30 UTC
// entered the next day in Paris.
func TestTransferStatusText(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) {
			c := newCLI(t, kind)
			for _, u := range []string{"0860012W", "0010856A"} {
				if code, _, errs := c.run("establishment", "add", "--uai", u, "--name", "Lycée "+u); code != exitOK {
					t.Fatal(errs)
				}
			}
			ctx := context.Background()
			dsn, _ := store.ParseDSN(c.env["SILLAGE_DB"])
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			entered := time.Date(2026, time.November, 21, 23, 30, 0, 0, time.UTC) // 22/11 at 00:30 in Paris
			err = st.Write(ctx, func(tx *store.Tx) error {
				there := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE, SIECLEID: "1"},
					Unqid: "v1:LEA", Diploma: "24732205", TransferStatus: sillage.TransferSettled, EnteredAt: entered.AddDate(-1, 0, 0)}
				if err := tx.People().CreateStudent(ctx, "0860012W", &there); err != nil {
					return err
				}
				here := sillage.Student{Person: sillage.Person{FirstName: "Léa", LastName: "Durand", Source: sillage.SourceSIECLE, SIECLEID: "2"},
					Unqid: "v1:LEA", Diploma: "24732205", PreviousUAI: "0170001A", PreviousName: "Collège du Port", EnteredAt: entered}
				return tx.People().CreateStudent(ctx, "0010856A", &here)
			})
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			code, out, errs := c.run("transfer", "status", "--uai", "0010856A", "--now", "2026-11-23T10:00:00Z")
			if code != exitOK {
				t.Fatalf("status: %d %q %q", code, out, errs)
			}
			for _, want := range []string{"Ancien établissement", "0170001A (Collège du Port)", "22/11/2026",
				"Encore actif dans un autre établissement ; ancien établissement indiqué : 0170001A"} {
				if !strings.Contains(out, want) {
					t.Errorf("status lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "21/11/2026") {
				t.Errorf("a date shown in UTC, not in the schools' zone:\n%s", out)
			}
			// The first day of the window is a day of the schools' zone too.
			code, out, _ = c.run("transfer", "status", "--uai", "0010856A", "--since", "2026-11-22", "--now", "2026-11-23T10:00:00Z")
			if code != exitOK || !strings.Contains(out, "DURAND Léa") || !strings.Contains(out, "depuis le 22/11/2026") {
				t.Errorf("status since the 22nd (Paris): %d\n%s", code, out)
			}
			code, out, _ = c.run("transfer", "run", "--dry-run", "--now", "2026-11-23T10:00:00Z")
			if code != exitOK || !strings.Contains(out, "23/11/2026 à 11h00") {
				t.Errorf("run: the date in the schools' zone: %d\n%s", code, out)
			}
		})
	}
}
