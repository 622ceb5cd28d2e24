package audit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func testKeyring(t *testing.T, seed byte, versions ...int) ident.Keyring {
	t.Helper()
	secrets := map[int][]byte{}
	for _, v := range versions {
		secrets[v] = bytes.Repeat([]byte{seed + byte(v)}, 32)
	}
	kr, err := ident.NewKeyring(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

const uaiA = sillage.UAI("0860012W")

// keyedChain builds an establishment chain of 2 unkeyed entries (before the
// key), sealed, then 4 keyed ones: seq 1-2 unkeyed, 3 the seal, 4-7 keyed.
func keyedChain(t *testing.T, st *store.Store, key *audit.Key) {
	t.Helper()
	ctx := context.Background()
	st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uaiA, Name: "A", Kind: sillage.KindLP})
	})
	appendN(t, st, uaiA, 2)
	st.SetAuditKey(key)
	n, err := audit.SealChains(ctx, st)
	if err != nil || n != 1 {
		t.Fatalf("sealed %d chains, %v", n, err)
	}
	if n, _ := audit.SealChains(ctx, st); n != 0 {
		t.Fatalf("sealing twice sealed %d chains", n)
	}
	appendN(t, st, uaiA, 4)
}

func TestKeyedChainDetectsRewrites(t *testing.T) {
	plainRehash := func(t *testing.T, st *store.Store, from, to int64) {
		// The attacker with database access but no key: edits an entry and
		// recomputes the whole chain from it with plain SHA-256.
		ctx := context.Background()
		var entries []sillage.AuditEntry
		st.Read(ctx, func(tx *store.Tx) error {
			return tx.Audit().WalkAudit(ctx, uaiA, func(e sillage.AuditEntry) error { entries = append(entries, e); return nil })
		})
		prev := sillage.GenesisHash
		db := st.SQLDB()
		for _, e := range entries {
			if e.Seq < from || e.Seq > to {
				prev = e.Hash
				continue
			}
			if e.Seq == from {
				e.Target = "falsifié"
			}
			e.PrevHash = prev
			e.Hash = e.ComputeHash()
			prev = e.Hash
			if _, err := db.Exec(`UPDATE audit_log SET target = $1, prev_hash = $2, hash = $3 WHERE uai = $4 AND seq = $5`, e.Target, e.PrevHash, e.Hash, string(uaiA), e.Seq); err != nil {
				t.Fatal(err)
			}
		}
		if to >= entries[len(entries)-1].Seq {
			if _, err := db.Exec(`UPDATE audit_heads SET hash = $1 WHERE uai = $2`, prev, string(uaiA)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name       string
		tamper     func(t *testing.T, st *store.Store)
		checkpoint bool
		wantSeq    int64 // 0: intact
		wantReason string
	}{
		{"intact", nil, false, 0, ""},
		{"intact against a checkpoint", nil, true, 0, ""},
		{"edited keyed entry", sqlTamper(`UPDATE audit_log SET details = 'x' WHERE uai = '0860012W' AND seq = 5`), false, 5, "entrée modifiée"},
		{"edited and rehashed without the key", func(t *testing.T, st *store.Store) { plainRehash(t, st, 5, 99) }, false, 5, "non scellée"},
		{"edited before the seal, chain rehashed", func(t *testing.T, st *store.Store) { plainRehash(t, st, 1, 2) }, false, 3, "chaînage rompu"},
		{"deleted middle entry", sqlTamper(`DELETE FROM audit_log WHERE uai = '0860012W' AND seq = 4`), false, 4, "manquante"},
		{"renumbered after a deletion", sqlTamper(
			`DELETE FROM audit_log WHERE uai = '0860012W' AND seq = 7`,
			`UPDATE audit_log SET seq = 7 WHERE uai = '0860012W' AND seq = 6`,
			`UPDATE audit_heads SET seq = 6 WHERE uai = '0860012W'`), false, 6, "manquante"},
		{"tail truncated with its head", sqlTamper(
			`DELETE FROM audit_log WHERE uai = '0860012W' AND seq >= 6`,
			`UPDATE audit_heads SET seq = 5, hash = (SELECT hash FROM audit_log WHERE uai = '0860012W' AND seq = 5) WHERE uai = '0860012W'`), true, 6, "le point de contrôle atteste l'entrée n° 7"},
		{"whole chain deleted", sqlTamper(`DELETE FROM audit_log WHERE uai = '0860012W'`, `DELETE FROM audit_heads WHERE uai = '0860012W'`), true, 1, "journal supprimé"},
		{"start deleted as a fake purge", sqlTamper(
			`DELETE FROM audit_log WHERE uai = '0860012W' AND seq <= 3`,
			`UPDATE audit_heads SET purged_seq = 3, purged_hash = (SELECT prev_hash FROM audit_log WHERE uai = '0860012W' AND seq = 4) WHERE uai = '0860012W'`), false, 3, "sans purge enregistrée"},
		{"whole chain rewritten unkeyed", func(t *testing.T, st *store.Store) {
			sqlTamper(`DELETE FROM audit_log WHERE uai = '0860012W' AND seq >= 3`,
				`UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_log WHERE uai = '0860012W' AND seq = 2) WHERE uai = '0860012W'`)(t, st)
		}, false, 2, "non scellée"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
				ctx := context.Background()
				key := audit.NewKey(testKeyring(t, 1, 1))
				keyedChain(t, st, key)
				opts := audit.VerifyOptions{Key: key}
				if tt.checkpoint {
					signer := audit.NewSigner(testKeyring(t, 50, 1))
					cp, err := audit.MakeCheckpoint(ctx, st, signer, clock.Now())
					if err != nil {
						t.Fatal(err)
					}
					var buf bytes.Buffer
					audit.WriteCheckpoint(&buf, cp)
					read, err := audit.ReadCheckpoint(buf.Bytes(), signer)
					if err != nil {
						t.Fatal(err)
					}
					opts.Checkpoint = &read
				}
				if tt.tamper != nil {
					tt.tamper(t, st)
				}
				problems, _, err := audit.VerifyAll(ctx, st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if tt.wantSeq == 0 {
					if len(problems) != 0 {
						t.Fatalf("intact log reported %v", problems)
					}
					return
				}
				if len(problems) != 1 || problems[0].UAI != uaiA || problems[0].Seq != tt.wantSeq || !strings.Contains(problems[0].Reason, tt.wantReason) {
					t.Fatalf("problems = %v, want one at entry %d saying %q", problems, tt.wantSeq, tt.wantReason)
				}
			})
		})
	}
}

func TestKeyedChainNeedsTheRightKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		keyedChain(t, st, audit.NewKey(testKeyring(t, 1, 1)))
		for name, key := range map[string]*audit.Key{
			"another key":         audit.NewKey(testKeyring(t, 9, 1)),
			"missing the version": audit.NewKey(testKeyring(t, 1, 2)),
		} {
			problems, _, err := audit.VerifyAll(ctx, st, audit.VerifyOptions{Key: key})
			if err != nil || len(problems) != 1 || problems[0].Seq != 3 {
				t.Errorf("%s: problems %v, %v; want the seal (entry 3) refused", name, problems, err)
			}
		}
		// A rotated key file (v1 and v2) verifies the old entries and seals
		// new ones under v2.
		rotated := audit.NewKey(testKeyring(t, 1, 1, 2))
		st.SetAuditKey(rotated)
		appendN(t, st, uaiA, 1)
		problems, _, err := audit.VerifyAll(ctx, st, audit.VerifyOptions{Key: rotated})
		if err != nil || len(problems) != 0 {
			t.Fatalf("after rotation: %v %v", problems, err)
		}
		var last sillage.AuditEntry
		st.Read(ctx, func(tx *store.Tx) error {
			es, err := tx.Audit().ListAudit(ctx, uaiA, sillage.AuditFilter{Limit: 1})
			last = es[0]
			return err
		})
		if v, ok := sillage.KeyedHash(last.Hash); !ok || v != 2 {
			t.Fatalf("new entry hash %q, want sealed by v2", last.Hash)
		}
	})
}

func TestKeyedPurgeStaysVerifiable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		key := audit.NewKey(testKeyring(t, 1, 1))
		keyedChain(t, st, key)
		clock.Advance(400 * 24 * time.Hour)
		appendN(t, st, uaiA, 1)
		if n, err := audit.PurgeExpired(ctx, st, clock.T.AddDate(-1, 0, 0)); err != nil || n != 7 {
			t.Fatalf("purged %d, %v", n, err)
		}
		if problems, _, err := audit.VerifyAll(ctx, st, audit.VerifyOptions{Key: key}); err != nil || len(problems) != 0 {
			t.Fatalf("verify after the purge: %v %v", problems, err)
		}
	})
}

func TestCheckpointSignature(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		keyedChain(t, st, audit.NewKey(testKeyring(t, 1, 1)))
		signer := audit.NewSigner(testKeyring(t, 50, 1))
		cp, err := audit.MakeCheckpoint(ctx, st, signer, clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		audit.WriteCheckpoint(&buf, cp)
		good := buf.String()
		tests := []struct {
			name    string
			data    string
			signer  *audit.Signer
			wantErr string
		}{
			{"genuine", good, signer, ""},
			{"head lowered", strings.Replace(good, `"seq": 7`, `"seq": 5`, 1), signer, "signature du point de contrôle invalide"},
			{"other signing key", good, audit.NewSigner(testKeyring(t, 60, 1)), "signature du point de contrôle invalide"},
			{"unknown version", good, audit.NewSigner(testKeyring(t, 50, 2)), "clé v1, absente"},
			{"not a checkpoint", `{"heads": []}`, signer, "illisible"},
		}
		for _, tt := range tests {
			if !strings.Contains(good, `"seq": 7`) {
				t.Fatalf("checkpoint lacks the head: %s", good)
			}
			_, err := audit.ReadCheckpoint([]byte(tt.data), tt.signer)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
			}
		}
	})
}

func sqlTamper(stmts ...string) func(t *testing.T, st *store.Store) {
	return func(t *testing.T, st *store.Store) {
		for _, s := range stmts {
			if _, err := st.SQLDB().Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
}
