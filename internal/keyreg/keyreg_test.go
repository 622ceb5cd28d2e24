package keyreg_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/keyreg"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// addPseudonym stores a student with an unqid, as an import does.
func addPseudonym(t *testing.T, st *store.Store, unqid string) {
	t.Helper()
	ctx := context.Background()
	err := st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0860012W", Name: "Lycée", Kind: sillage.KindLP}); err != nil && sillage.KindOf(err) != sillage.KindConflict {
			return err
		}
		s := sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", Source: sillage.SourceSIECLE}, Unqid: unqid}
		return tx.People().CreateStudent(ctx, "0860012W", &s)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFingerprintMatchesKeyring(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	kr, err := ident.NewKeyring(map[int][]byte{3: secret})
	if err != nil {
		t.Fatal(err)
	}
	fp := kr.Fingerprints()[3]
	if fp != keyreg.Fingerprint(secret) || len(fp) != 64 {
		t.Fatalf("fingerprints differ: %q %q", fp, keyreg.Fingerprint(secret))
	}
	if strings.Contains(fp, string(secret)) {
		t.Fatal("the fingerprint shows the key")
	}
	other, _ := ident.NewKeyring(map[int][]byte{3: []byte(strings.Repeat("l", 32))})
	if other.Fingerprints()[3] == fp {
		t.Fatal("two keys, one fingerprint")
	}
}

// TestIDKeyLifecycle: a key is created only for an empty instance; once the
// database knows it, a missing, truncated or replaced key file is refused
// with what to restore, and nothing is recorded; a rotation is recorded; a
// deliberate replacement retires the old versions and starts above them.
func TestIDKeyLifecycle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		dir := t.TempDir()
		file := filepath.Join(dir, "id-key")

		// A file the operator named is never created.
		if _, err := keyreg.LoadIDKey(ctx, st, file, false); err == nil || !strings.Contains(err.Error(), "sillage idkey init") {
			t.Fatalf("named missing file: %v", err)
		}
		// Transfers and the server accept an instance that never hashed.
		if err := keyreg.CheckIDKey(ctx, st, file); err != nil {
			t.Fatalf("check on an empty instance: %v", err)
		}
		// The embedded default on an empty instance: created and recorded.
		kr, err := keyreg.LoadIDKey(ctx, st, file, true)
		if err != nil {
			t.Fatal(err)
		}
		known, err := keyreg.Active(ctx, st, keyreg.IDKey)
		if err != nil || len(known) != 1 || known[0].Version != 1 || known[0].Fingerprint != kr.Fingerprints()[1] {
			t.Fatalf("registry after creation: %+v %v", known, err)
		}
		addPseudonym(t, st, "v1:"+strings.Repeat("A", 52))
		good, _ := os.ReadFile(file)

		other := filepath.Join(dir, "other-key")
		if _, err := ident.Create(other, 1); err != nil {
			t.Fatal(err)
		}
		otherData, _ := os.ReadFile(other)
		cases := []struct {
			name  string
			setup func()
			want  []string
		}{
			{"fichier absent", func() { os.Remove(file) }, []string{"introuvable", "v1", keyreg.Short(known[0].Fingerprint), "Restaurez"}},
			{"clé remplacée", func() { os.WriteFile(file, otherData, 0o600) }, []string{"une autre clé", "empreinte attendue " + keyreg.Short(known[0].Fingerprint), "Restaurez"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.setup()
				defer os.WriteFile(file, good, 0o600)
				for _, mayCreate := range []bool{true, false} {
					_, err := keyreg.LoadIDKey(ctx, st, file, mayCreate)
					for _, w := range c.want {
						if err == nil || !strings.Contains(err.Error(), w) {
							t.Errorf("import (create %v): %v, want %q", mayCreate, err, w)
						}
					}
				}
				if err := keyreg.CheckIDKey(ctx, st, file); err == nil || !strings.Contains(err.Error(), "Restaurez") {
					t.Errorf("check: %v", err)
				}
				if _, _, err := keyreg.InitIDKey(ctx, st, file, false); err == nil {
					t.Error("init over a known key accepted")
				}
				after, _ := keyreg.Active(ctx, st, keyreg.IDKey)
				if len(after) != 1 {
					t.Errorf("a refusal recorded something: %+v", after)
				}
				if data, _ := os.ReadFile(file); c.name == "fichier absent" && len(data) != 0 {
					t.Error("a key file was created over a known key")
				}
			})
		}

		// A rotation adds v2: recorded; then a file without v2 is refused.
		if _, err := ident.Rotate(file); err != nil {
			t.Fatal(err)
		}
		if err := keyreg.CheckIDKey(ctx, st, file); err != nil {
			t.Fatal(err)
		}
		if known, _ = keyreg.Active(ctx, st, keyreg.IDKey); len(known) != 2 {
			t.Fatalf("after rotation: %+v", known)
		}
		os.WriteFile(file, good, 0o600) // the v1-only backup of the key
		if err := keyreg.CheckIDKey(ctx, st, file); err == nil || !strings.Contains(err.Error(), "ne contient pas la clé des INE v2") {
			t.Fatalf("stale key file: %v", err)
		}

		// The key lost for good: init --replace retires v1, v2 and starts at v3.
		os.Remove(file)
		kr, retired, err := keyreg.InitIDKey(ctx, st, file, true)
		if err != nil || retired != 2 || kr.Version() != 3 {
			t.Fatalf("replace: %v retired %d version %d", err, retired, kr.Version())
		}
		if err := keyreg.CheckIDKey(ctx, st, file); err != nil {
			t.Fatalf("after replacement: %v", err)
		}
		if _, _, err := keyreg.InitIDKey(ctx, st, file, true); err == nil || !strings.Contains(err.Error(), "existe déjà") {
			t.Fatalf("init over an existing file: %v", err)
		}
	})
}

// TestIDKeyOlderInstance: an instance that stored unqids before the
// registry existed refuses to create a key silently, and `idkey init
// --replace` starts above the versions its unqids carry.
func TestIDKeyOlderInstance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		file := filepath.Join(t.TempDir(), "id-key")
		addPseudonym(t, st, "v2:"+strings.Repeat("A", 52))
		if _, err := keyreg.LoadIDKey(ctx, st, file, true); err == nil || !strings.Contains(err.Error(), "déjà enregistrés") {
			t.Fatalf("default key on an instance with students: %v", err)
		}
		if ident.FileExists(file) {
			t.Fatal("key file created")
		}
		if _, _, err := keyreg.InitIDKey(ctx, st, file, false); err == nil {
			t.Fatal("init without --replace accepted")
		}
		kr, _, err := keyreg.InitIDKey(ctx, st, file, true)
		if err != nil || kr.Version() != 3 {
			t.Fatalf("replace: %v, version %d", err, kr.Version())
		}
	})
}

// TestSecretsKeyShared: the first server creates the secrets key and the
// database records it; another server started without a copy refuses to
// start (creating nothing), one with its own new key too, and one with a
// copy of the first server's file starts.
func TestSecretsKeyShared(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		dir := t.TempDir()
		first := filepath.Join(dir, "a", "secrets-key")
		box, err := keyreg.LoadSecretsBox(ctx, st, first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keyreg.LoadSecretsBox(ctx, st, first); err != nil {
			t.Fatalf("the same file again: %v", err)
		}
		missing := filepath.Join(dir, "b", "secrets-key")
		if _, err := keyreg.LoadSecretsBox(ctx, st, missing); sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), "introuvable") {
			t.Fatalf("a server without the file: %v", err)
		}
		if ident.FileExists(missing) {
			t.Fatal("a server without the file created a key of its own")
		}
		own := filepath.Join(dir, "c", "secrets-key")
		if _, err := sealbox.LoadOrCreate(own); err != nil {
			t.Fatal(err)
		}
		if _, err := keyreg.LoadSecretsBox(ctx, st, own); sillage.KindOf(err) != sillage.KindUnavailable {
			t.Fatalf("a server with a key of its own: %v", err)
		}
		data, err := os.ReadFile(first)
		if err != nil {
			t.Fatal(err)
		}
		copied := filepath.Join(dir, "d", "secrets-key")
		os.MkdirAll(filepath.Dir(copied), 0o700)
		if err := os.WriteFile(copied, data, 0o600); err != nil {
			t.Fatal(err)
		}
		other, err := keyreg.LoadSecretsBox(ctx, st, copied)
		if err != nil {
			t.Fatalf("a copy of the first server's key: %v", err)
		}
		sealed, err := box.Seal([]byte("liste"), sealbox.PurposeCredentials)
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := other.Open(sealed, sealbox.PurposeCredentials); err != nil || string(plain) != "liste" {
			t.Fatalf("the copy opens what the first sealed: %q %v", plain, err)
		}
	})
}

// TestSecretsKeyReplaced: a key lost for good is replaced deliberately;
// the new key starts above the retired versions and is accepted from then
// on, and the replacement refuses to overwrite an existing file.
func TestSecretsKeyReplaced(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		dir := t.TempDir()
		lost := filepath.Join(dir, "lost")
		if _, err := keyreg.LoadSecretsBox(ctx, st, lost); err != nil {
			t.Fatal(err)
		}
		os.Remove(lost)
		if _, err := keyreg.LoadSecretsBox(ctx, st, lost); err == nil || !strings.Contains(sillage.Message(err), "secretskey replace") {
			t.Fatalf("the refusal names the way out: %v", err)
		}
		box, retired, err := keyreg.ReplaceSecretsKey(ctx, st, lost)
		if err != nil || retired != 1 {
			t.Fatalf("replace: %d %v", retired, err)
		}
		if _, ok := box.Fingerprints()[2]; !ok {
			t.Fatalf("the new key is not above the retired one: %v", box.Fingerprints())
		}
		if _, err := keyreg.LoadSecretsBox(ctx, st, lost); err != nil {
			t.Fatalf("the new key after the replacement: %v", err)
		}
		if _, _, err := keyreg.ReplaceSecretsKey(ctx, st, lost); sillage.KindOf(err) != sillage.KindConflict {
			t.Fatalf("a replacement over an existing file: %v", err)
		}
	})
}
