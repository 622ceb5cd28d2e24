package keyreg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestFederationAndSigningKeys: the federation key is never created (the
// federation's operator distributes it), is checked against the registry
// once used, and cannot be dropped silently; the signing key is created
// for the embedded default and then required.
func TestFederationAndSigningKeys(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		dir := t.TempDir()
		fedFile := filepath.Join(dir, "federation-key")

		// Not configured: federation off.
		if kr, err := keyreg.LoadFederationKey(ctx, st, ""); err != nil || kr.Version() != 0 {
			t.Fatalf("no federation key configured: %v %v", kr, err)
		}
		// Configured but missing: refused, and never created.
		if _, err := keyreg.LoadFederationKey(ctx, st, fedFile); err == nil || ident.FileExists(fedFile) {
			t.Fatalf("a missing federation key file: %v (created: %v)", err, ident.FileExists(fedFile))
		}
		// The file the federation's operator sent: recorded.
		if _, err := ident.Create(fedFile, 1); err != nil {
			t.Fatal(err)
		}
		kr, err := keyreg.LoadFederationKey(ctx, st, fedFile)
		if err != nil || kr.Version() != 1 {
			t.Fatalf("federation key: %v %v", kr, err)
		}
		// Dropped from the configuration once used: refused.
		if _, err := keyreg.LoadFederationKey(ctx, st, ""); err == nil || !strings.Contains(err.Error(), "SILLAGE_FEDERATION_KEY_FILE") {
			t.Fatalf("federation key dropped: %v", err)
		}
		// Replaced by another key under the same version: refused.
		if err := os.Remove(fedFile); err != nil {
			t.Fatal(err)
		}
		if _, err := ident.Create(fedFile, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := keyreg.LoadFederationKey(ctx, st, fedFile); err == nil {
			t.Fatal("a different federation key under a known version was accepted")
		}

		signFile := filepath.Join(dir, "signing-key")
		if _, err := keyreg.LoadSigningKey(ctx, st, signFile, false); err == nil {
			t.Fatal("a signing key named by the operator is never created")
		}
		s1, err := keyreg.LoadSigningKey(ctx, st, signFile, true)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := keyreg.LoadSigningKey(ctx, st, signFile, true)
		if err != nil || s2.KeyID() != s1.KeyID() {
			t.Fatalf("reloaded signing key: %v", err)
		}
		if err := os.Remove(signFile); err != nil {
			t.Fatal(err)
		}
		if _, err := keyreg.LoadSigningKey(ctx, st, signFile, true); err == nil {
			t.Fatal("a lost signing key file was silently replaced")
		}
	})
}
