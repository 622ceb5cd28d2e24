package demo_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/demo"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

var now = time.Date(2026, time.February, 2, 9, 0, 0, 0, time.UTC)

func keyring(t *testing.T) ident.Keyring {
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func small() demo.Options {
	o := demo.DefaultOptions(now)
	o.Establishments, o.Students, o.Livret = 3, 150, false
	return o
}

func generate(t *testing.T, st *store.Store, o demo.Options) *demo.Result {
	t.Helper()
	blobs, err := blob.Open(filepath.Join(t.TempDir(), "files"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	res, err := demo.Generate(context.Background(), st, blobs, keyring(t), o, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestGenerate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		clock.T = now
		o := small()
		res := generate(t, st, o)
		ctx := context.Background()
		if len(res.Establishments) != 3 || res.Results == 0 || res.Sheets == 0 || res.Files != res.Sheets {
			t.Fatalf("result %+v", res)
		}
		err := st.Read(ctx, func(tx *store.Tx) error {
			counts, err := tx.CrossTenant().AllEstablishmentCounts(ctx)
			if err != nil {
				return err
			}
			total := 0
			for _, c := range counts {
				total += c.ActiveStudents
			}
			if total != o.Students {
				t.Errorf("%d active students, want %d", total, o.Students)
			}
			for i, e := range res.Establishments {
				if _, err := sillage.ParseUAI(string(e.UAI)); err != nil {
					t.Errorf("establishment %d: %v", i, err)
				}
				// Those who left wait in the index with their unqid.
				n, err := tx.Transfer().CountIndexEntries(ctx, e.UAI)
				if err != nil {
					return err
				}
				if n == 0 {
					t.Errorf("%s: no student in the transfer index", e.UAI)
				}
				news, err := tx.People().ListStudents(ctx, e.UAI, sillage.StudentFilter{TransferStatus: sillage.TransferNew})
				if err != nil {
					return err
				}
				if len(news) == 0 {
					t.Errorf("%s: no new student waiting for a transfer", e.UAI)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Every synthetic INE is valid, and none is stored anywhere.
		var ines []string
		for i := 0; i < o.Establishments; i++ {
			for _, s := range demo.Plan(o, i).Students {
				if _, _, err := s.INE.Check(); err != nil {
					t.Fatalf("invalid synthetic INE: %v", err)
				}
				ines = append(ines, s.INE.Value())
			}
		}
		assertNoINE(t, st, ines)
		// The demo accounts sign in with the demo password.
		accs, err := demo.Accounts(ctx, st, o)
		if err != nil || len(accs) != 0 {
			t.Fatalf("without a demo password there are no demo accounts: %v %v", accs, err)
		}
	})
}

// assertNoINE scans every text column of every table for the INEs.
func assertNoINE(t *testing.T, st *store.Store, ines []string) {
	t.Helper()
	tables := []string{"establishments", "accounts", "persons", "guardianships", "divisions", "groups", "services", "mefs", "subjects",
		"referentials", "competences", "evaluations", "results", "comments", "sheets", "attachments", "documents", "periods",
		"settings", "audit_log", "transfer_index", "transfer_log", "import_reports", "messages"}
	set := map[string]bool{}
	for _, ine := range ines {
		set[ine] = true
	}
	for _, table := range tables {
		rows, err := st.SQLDB().Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				for ine := range set {
					if strings.Contains(s, ine) {
						t.Fatalf("an INE is stored in %s.%s", table, cols[i])
					}
				}
			}
		}
		rows.Close()
	}
}

func digest(t *testing.T, st *store.Store) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		"SELECT uai, id, role, last_name, first_name, siecle_id, unqid, transfer_status, division_id FROM persons ORDER BY uai, id",
		"SELECT uai, id, title, date, author_id FROM evaluations ORDER BY uai, id",
		"SELECT uai, evaluation_id, student_id, competence_id, value FROM results ORDER BY 1, 2, 3, 4",
		"SELECT uai, id, student_id, title, result FROM sheets ORDER BY uai, id",
		"SELECT uai, sheet_id, sha256 FROM attachments ORDER BY uai, id",
	} {
		rows, err := st.SQLDB().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(h, vals...)
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDeterministic(t *testing.T) {
	clock := &storetest.Clock{T: now}
	a := storetest.Open(t, store.SQLite, clock)
	b := storetest.Open(t, store.SQLite, clock)
	generate(t, a, small())
	generate(t, b, small())
	if digest(t, a) != digest(t, b) {
		t.Fatal("the same seed gave two different academies")
	}
	other := small()
	other.Seed++
	c := storetest.Open(t, store.SQLite, clock)
	generate(t, c, other)
	if digest(t, a) == digest(t, c) {
		t.Fatal("another seed gave the same academy")
	}
}

func TestSIECLEExportRoundTrip(t *testing.T) {
	o := small()
	p := demo.Plan(o, 1)
	var buf bytes.Buffer
	if err := siecle.WriteStudents(&buf, p.SIECLE(now)); err != nil {
		t.Fatal(err)
	}
	f, err := siecle.ReadStudents(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.UAJ != p.Establishment.UAI || len(f.Students) != len(p.Students) || len(f.Rejects) != 0 {
		t.Fatalf("read back %s with %d students and %d rejects, want %s and %d", f.Header.UAJ, len(f.Students), len(f.Rejects), p.Establishment.UAI, len(p.Students))
	}
	left := 0
	for i, s := range f.Students {
		if s.EleveID != p.Students[i].EleveID || s.Division != p.Divisions[p.Students[i].Division].Code {
			t.Fatalf("student %d: %s in %s", i, s.EleveID, s.Division)
		}
		if !s.ExitDate.IsZero() {
			left++
		}
	}
	if left == 0 {
		t.Fatal("the export must carry the exit date of those who left")
	}
}
