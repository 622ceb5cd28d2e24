package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func appendN(t *testing.T, st *store.Store, uai sillage.UAI, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := st.Write(ctx, func(tx *store.Tx) error {
			return audit.Record(ctx, tx, uai, audit.Actor{ID: 7, Role: "administrator", Name: "Admin"}, audit.Import, fmt.Sprintf("fichier %d", i), "")
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		wantSeq int64
	}{
		{"intact", "", 0},
		{"altered target", "UPDATE audit_log SET target = 'autre' WHERE uai = '0860012W' AND seq = 3", 3},
		{"altered hash too", "UPDATE audit_log SET target = 'autre', hash = 'x' WHERE uai = '0860012W' AND seq = 3", 3},
		{"removed entry", "DELETE FROM audit_log WHERE uai = '0860012W' AND seq = 2", 2},
		{"removed last entries", "DELETE FROM audit_log WHERE uai = '0860012W' AND seq >= 4", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
				ctx := context.Background()
				st.Write(ctx, func(tx *store.Tx) error {
					return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "A", Kind: sillage.KindLP})
				})
				appendN(t, st, "0860012W", 5)
				appendN(t, st, "", 2)
				if tt.tamper != "" {
					if _, err := st.SQLDB().Exec(tt.tamper); err != nil {
						t.Fatal(err)
					}
				}
				problems, _, err := audit.VerifyAll(ctx, st, audit.VerifyOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if tt.wantSeq == 0 {
					if len(problems) != 0 {
						t.Fatalf("intact log reported %v", problems)
					}
					return
				}
				if len(problems) != 1 || problems[0].UAI != "0860012W" || problems[0].Seq != tt.wantSeq {
					t.Fatalf("problems = %v, want one at entry %d", problems, tt.wantSeq)
				}
			})
		})
	}
}

func TestPurgeKeepsChainVerifiable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		appendN(t, st, "", 3)
		clock.Advance(400 * 24 * time.Hour)
		appendN(t, st, "", 2)
		var n int
		st.Write(ctx, func(tx *store.Tx) (err error) {
			n, err = tx.Audit().PurgeAudit(ctx, "", clock.T.AddDate(-1, 0, 0))
			return err
		})
		if n != 3 {
			t.Fatalf("purged %d, want 3", n)
		}
		p, checked, err := audit.Verify(ctx, st, "", audit.VerifyOptions{})
		if err != nil || p != nil || checked != 2 {
			t.Fatalf("after purge: problem %v, checked %d, err %v", p, checked, err)
		}
	})
}

func TestPurgeExpiredRecordsTheCut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "A", Kind: sillage.KindLP})
		})
		appendN(t, st, "0860012W", 4)
		clock.Advance(400 * 24 * time.Hour)
		appendN(t, st, "0860012W", 1)
		n, err := audit.PurgeExpired(ctx, st, clock.T.AddDate(-1, 0, 0))
		if err != nil || n != 4 {
			t.Fatalf("purged %d, %v", n, err)
		}
		var entries []sillage.AuditEntry
		st.Read(ctx, func(tx *store.Tx) (err error) {
			entries, err = tx.Audit().ListAudit(ctx, "0860012W", sillage.AuditFilter{})
			return err
		})
		if len(entries) != 2 || entries[0].Action != audit.AuditPurged {
			t.Fatalf("entries after the purge: %+v", entries)
		}
		if problems, _, err := audit.VerifyAll(ctx, st, audit.VerifyOptions{}); err != nil || len(problems) != 0 {
			t.Fatalf("verify after the purge: %v %v", problems, err)
		}
	})
}
