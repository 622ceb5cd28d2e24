package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/transfer"
)

// TestTransferDashboardLoad measures the dashboard of an establishment of
// 2,000 students (300 arrivals transferred, 100 waiting, 300 departures)
// under 50 concurrent users with wrk on loopback (performance.md: p99 under
// 100 ms). It runs only with SILLAGE_LOAD_TEST=1 and wrk installed
// (apt-get install wrk); SILLAGE_LOAD_TEST_DB=postgres runs it on
// PostgreSQL.
func TestTransferDashboardLoad(t *testing.T) {
	if os.Getenv("SILLAGE_LOAD_TEST") != "1" {
		t.Skip("load test: set SILLAGE_LOAD_TEST=1")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk not installed")
	}
	kind := store.SQLite
	if os.Getenv("SILLAGE_LOAD_TEST_DB") == "postgres" {
		kind = store.Postgres
	}
	f := newFixtureOn(t, kind)
	ctx := context.Background()
	err = f.st.Write(ctx, func(tx *store.Tx) error {
		for _, u := range []sillage.UAI{uaiA, uaiB} {
			if err := tx.Establishments().SetTransferSettings(ctx, u, sillage.TransferSettings{Enabled: true, Reference: "CNIL"}); err != nil {
				return err
			}
		}
		ref, err := tx.Records().GetReferentialByDiploma(ctx, uaiA, "24732205")
		if sillage.KindOf(err) == sillage.KindNotFound {
			ref = sillage.Referential{Diploma: "24732205", Label: "MELEC", Competences: []sillage.Competence{{Code: "C1", Label: "Analyser"}, {Code: "C2", Label: "Réaliser"}}}
			err = tx.Records().CreateReferential(ctx, uaiA, &ref)
		}
		if err != nil {
			return err
		}
		ev := sillage.Evaluation{Title: "Bilan", Date: sillage.NewDate(2025, 6, 10), Diploma: "24732205", ReferentialID: ref.ID}
		if err := tx.Records().CreateEvaluation(ctx, uaiA, &ev); err != nil {
			return err
		}
		for k := 0; k < 2000; k++ {
			s := sillage.Student{Person: sillage.Person{FirstName: "Élève", LastName: fmt.Sprintf("B%04d", k), Source: sillage.SourceSIECLE},
				Unqid: fmt.Sprintf("v1:B%d", k), Diploma: "24732205", DivisionID: f.b.Division.ID, TransferStatus: sillage.TransferSettled}
			if k < 400 {
				s.TransferStatus, s.PreviousUAI = sillage.TransferNew, uaiA
			}
			if err := tx.People().CreateStudent(ctx, uaiB, &s); err != nil {
				return err
			}
			if k >= 300 {
				continue
			}
			o := sillage.Student{Person: sillage.Person{FirstName: "Élève", LastName: fmt.Sprintf("B%04d", k), Source: sillage.SourceSIECLE},
				Unqid: s.Unqid, Diploma: "24732205", TransferStatus: sillage.TransferSettled}
			if err := tx.People().CreateStudent(ctx, uaiA, &o); err != nil {
				return err
			}
			for _, c := range ref.Competences {
				if err := tx.Records().SetResult(ctx, uaiA, sillage.Result{EvaluationID: ev.ID, StudentID: o.ID, CompetenceID: c.ID, Value: "3"}); err != nil {
					return err
				}
			}
			if err := tx.People().SetPersonActive(ctx, uaiA, o.ID, false); err != nil {
				return err
			}
			if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: o.Unqid, OriginUAI: uaiA, OriginStudentID: o.ID, Diploma: o.Diploma, DeactivatedAt: tx.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transfer.Run(ctx, f.st, transfer.Options{})
	if err != nil || len(rep.Transferred) != 300 {
		t.Fatalf("transfer: %d, %v", len(rep.Transferred), err)
	}
	f.session(f.b, sillage.RoleDirector)
	token := f.tokens[string(uaiB)+"/"+string(sillage.RoleDirector)]
	status, body := f.do(f.clientWithToken(token), "GET", "/transferts", nil)
	if status != 200 || strings.Count(body, "<tr>") < 100 {
		t.Fatalf("dashboard: %d, %d rows", status, strings.Count(body, "<tr>"))
	}
	if os.Getenv("SILLAGE_LOAD_PROFILE") != "" {
		c := f.clientWithToken(token)
		start := time.Now()
		for i := 0; i < 20; i++ {
			f.do(c, "GET", "/transferts", nil)
		}
		t.Logf("sequential: %v per page", time.Since(start)/20)
		var st *transfer.Status
		start = time.Now()
		for i := 0; i < 20; i++ {
			st, _ = transfer.LoadStatus(ctx, f.st, uaiB, transfer.StatusFilter{}, sillage.DefaultRetention())
		}
		t.Logf("LoadStatus: %v (%d in, %d pending)", time.Since(start)/20, len(st.Incoming), len(st.Pending))
	}
	// Saturation: 50 connections asking again as soon as answered.
	out, err := exec.Command(wrk, "-t", "2", "-c", "50", "-d", "20s", "--latency", "-H", "Cookie: sillage_session="+token, f.ts.URL+"/transferts").CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	t.Logf("%s, %d-byte page, wrk -c 50 (saturation):\n%s", kind, len(body), out)
	// 50 users each opening the dashboard once a second (hey, rate-limited).
	if hey, err := exec.LookPath("hey"); err == nil {
		out, err := exec.Command(hey, "-c", "50", "-q", "1", "-z", "20s", "-H", "Cookie: sillage_session="+token, f.ts.URL+"/transferts").CombinedOutput()
		if err != nil {
			t.Fatalf("hey: %v\n%s", err, out)
		}
		t.Logf("hey -c 50 -q 1 (50 users, one page a second each):\n%s", out)
	}
}
