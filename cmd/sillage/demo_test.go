package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sillage/sillage/internal/browsertest"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/xmlfile"
)

func TestDemoFillsOnceAndWritesSIECLE(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, env: map[string]string{}}
	args := []string{"demo", "--no-serve", "--establishments", "2", "--students", "60",
		"--db", "sqlite:" + filepath.Join(dir, "demo.db"), "--data-dir", filepath.Join(dir, "data"), "--siecle-out", filepath.Join(dir, "siecle")}
	code, out, errs := c.run(args...)
	if code != exitOK {
		t.Fatalf("demo: %d %q %q", code, out, errs)
	}
	// Two lycées professionnels, then a collège and an école for the Livret.
	for _, want := range []string{"4 établissements", "Livret Scolaire rempli", "Extraction ONDE de l'école", "Comptes de démonstration", "operateur", "admin.", DemoPassword, "Transfert des dossiers : "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "siecle", "*", "ExportXML_ElevesSansAdresses.zip"))
	if len(zips) != 2 {
		t.Fatalf("SIECLE exports: %v", zips)
	}
	f, err := xmlfile.OpenFile(zips[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	sf, err := siecle.ReadStudents(f)
	f.Close()
	if err != nil || len(sf.Students) < 30 {
		t.Fatalf("SIECLE export: %v, %d students", err, len(sf.Students))
	}
	// Second run: the database is kept, the accounts listed again.
	code, out, _ = c.run(args[:len(args)-2]...)
	if code != exitOK || !strings.Contains(out, "déjà remplie") || !strings.Contains(out, "operateur") {
		t.Fatalf("second demo: %d %q", code, out)
	}
}

// TestBrowserDemoFirstPage serves a demo academy, signs in as the operator
// in chromium and saves a screenshot of the first page: the establishments
// with their counts.
func TestBrowserDemoFirstPage(t *testing.T) {
	b := browsertest.New(t)
	dir := t.TempDir()
	var out bytes.Buffer
	a, err := newApp(func(string) string { return "" }, strings.NewReader(""), &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	root := a.rootCmd()
	root.SetArgs([]string{"demo", "--no-serve", "--establishments", "3", "--students", "90", "--db", "sqlite:" + filepath.Join(dir, "demo.db"), "--data-dir", filepath.Join(dir, "data")})
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
	)
	text := b.Text("#establishments")
	// Three lycées professionnels, the collège and the école of the Livret.
	if strings.Count(text, "Lycée") < 3 || !strings.Contains(text, "Collège") || !strings.Contains(text, "École") || !strings.Contains(text, "Total (5 établissements)") {
		t.Fatalf("first page:\n%s", text)
	}
	b.Screenshot("premiere-page-operateur")
	if _, err := os.Stat(filepath.Join(dir, "data", "id-key")); err != nil {
		t.Fatalf("the demo's INE key file: %v", err)
	}
}
