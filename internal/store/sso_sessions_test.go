package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestSSOSessions: single log-out ends the sessions a provider names, by
// subject, by session index or both, of that provider only; a session's
// row is read while it lives. Both engines.
func TestSSOSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		rows := []sillage.SSOSession{
			{SessionHash: "s1", Provider: "educonnect", Subject: "nid-1", SubjectFormat: "persistent", SessionIndex: "idx-1"},
			{SessionHash: "s2", Provider: "educonnect", Subject: "nid-1", SessionIndex: "idx-2"},
			{SessionHash: "s3", Provider: "educonnect", Subject: "nid-2", SessionIndex: "idx-3"},
			{SessionHash: "s4", Provider: "portail", Subject: "nid-1", SessionIndex: "idx-1", IDToken: "jwt"},
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			for _, r := range rows {
				if err := tx.Accounts().CreateSession(ctx, sillage.Session{TokenHash: r.SessionHash, AccountID: a.teacher.AccountID,
					CreatedAt: clock.T, LastSeenAt: clock.T, ExpiresAt: clock.T.Add(time.Hour), SSOProvider: r.Provider}); err != nil {
					return err
				}
				if err := tx.Accounts().RecordSSOSession(ctx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		alive := func() (out []string) {
			_ = st.Read(ctx, func(tx *store.Tx) error {
				for _, r := range rows {
					if _, err := tx.Accounts().GetSession(ctx, r.SessionHash, clock.T); err == nil {
						out = append(out, r.SessionHash)
					}
				}
				return nil
			})
			return out
		}
		end := func(provider, subject, index string) int {
			var n int
			if err := st.Write(ctx, func(tx *store.Tx) (err error) {
				n, err = tx.Accounts().EndSSOSessions(ctx, provider, subject, index)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		var got sillage.SSOSession
		if err := st.Read(ctx, func(tx *store.Tx) (err error) { got, err = tx.Accounts().GetSSOSession(ctx, "s4"); return err }); err != nil || got != rows[3] {
			t.Fatalf("GetSSOSession: %+v %v", got, err)
		}
		if err := st.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Accounts().EndSSOSessions(ctx, "educonnect", "", "")
			return err
		}); sillage.KindOf(err) != sillage.KindInvalid {
			t.Errorf("a log-out naming nobody: %v", err)
		}
		// Subject and index: that one session.
		if n := end("educonnect", "nid-1", "idx-1"); n != 1 || len(alive()) != 3 {
			t.Fatalf("by subject and index: %d ended, alive %v", n, alive())
		}
		// An unknown one ends nothing; the subject alone ends the rest of
		// its sessions at that provider, not the other provider's.
		if n := end("educonnect", "nid-9", ""); n != 0 {
			t.Fatalf("unknown subject ended %d", n)
		}
		if n := end("educonnect", "nid-1", ""); n != 1 {
			t.Fatalf("by subject: %d ended", n)
		}
		if got := alive(); len(got) != 2 || got[0] != "s3" || got[1] != "s4" {
			t.Fatalf("alive %v, want s3 s4", got)
		}
		// The index alone (an OpenID Connect sid).
		if n := end("portail", "", "idx-1"); n != 1 {
			t.Fatalf("by index: %d ended", n)
		}
		if err := st.Read(ctx, func(tx *store.Tx) (err error) { _, err = tx.Accounts().GetSSOSession(ctx, "s4"); return err }); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("row of an ended session: %v", err)
		}
	})
}
