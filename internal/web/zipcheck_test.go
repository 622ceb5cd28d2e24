package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestImportRefusesTwoNamedZIP: a ZIP whose local header names another
// file than its central directory is refused, nothing is imported, and the
// refusal is journaled.
func TestImportRefusesTwoNamedZIP(t *testing.T) {
	for _, kind := range storetest.Engines(t) {
		t.Run(string(kind), func(t *testing.T) { twoNamedZIP(t, newFixtureOn(t, kind)) })
	}
}

func twoNamedZIP(t *testing.T, f *fixture) {
	admin := f.session(f.a, sillage.RoleAdministrator)
	xmlData := testdataFile(t, "siecle_0860012W_1.xml").data
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("ElevesSansAdresses.xml")
	w.Write(xmlData)
	zw.Close()
	data := b.Bytes()
	copy(data[bytes.Index(data, []byte("ElevesSansAdresses.xml")):], "ElevesSansAdresses.exe")
	ctx := context.Background()
	countReports := func() int {
		var kept []sillage.ImportReport
		f.st.Read(ctx, func(tx *store.Tx) (err error) { kept, err = tx.Imports().ListImportReports(ctx, uaiA); return err })
		return len(kept)
	}
	before := countReports()
	status, body := postImport(t, admin, f.ts.URL, map[string]string{"type": "siecle"}, importFile{"export.zip", data})
	if status != http.StatusBadRequest || !parsePage(t, body).has(".error-message", "porte deux noms") {
		t.Fatalf("two-named zip: %d %s", status, body[strings.Index(body, "<main"):])
	}
	var entries []sillage.AuditEntry
	f.st.Read(ctx, func(tx *store.Tx) (err error) {
		entries, err = tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Action: audit.SecurityRefused})
		return err
	})
	if n := countReports(); n != before {
		t.Fatalf("import reports: %d, before %d", n, before)
	}
	if len(entries) != 1 || !strings.Contains(entries[0].Details, "archive ZIP refusée") {
		t.Fatalf("refusal journal: %+v", entries)
	}
}
