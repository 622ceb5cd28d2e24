// Package keyreg is the registry of the instance's secret keys: for each
// key (a name) and version, the database keeps a fingerprint (an HMAC of a
// fixed label under the key, never the key). A process that is about to
// use a key file checks it against the registry first and refuses to start
// when the database knows a version the file lacks, or holds a different
// key under the same version: a lost key file is restored, never replaced
// silently. New versions found in the file (a rotation) are recorded.
//
// The INE key ("id-key") is the first user; any other key (audit chain,
// signatures) uses the same calls with its own name: Fingerprint for each
// version's secret, then Check.
package keyreg

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// The registry names of the instance's keys.
const (
	IDKey           = "id-key"             // the INE hashing key
	AuditKey        = "audit-key"          // seals the audit chains (HMAC)
	AuditSigningKey = "audit-signing-key"  // signs the audit checkpoints (Ed25519 seed)
	SigningKey      = signing.RegistryName // the instance's signing identity (Ed25519 seed)
	FederationKey   = "federation-key"     // the federation's INE hashing key, shared by its instances
	SecretsKey      = "secrets-key"        // seals the files kept with secrets or INEs (sealbox)
)

// labels name the keys in messages.
var labels = map[string]string{
	IDKey:           "la clé des INE",
	AuditKey:        "la clé du journal d'audit",
	AuditSigningKey: "la clé de signature des points de contrôle",
	SecretsKey:      "la clé de chiffrement des fichiers sensibles",
	SigningKey:      "la clé de signature de l'instance",
	FederationKey:   "la clé de fédération",
}

// losses say what a new key in place of a lost one would break.
var losses = map[string]string{
	IDKey:           "les élèves ne seraient plus reconnus d'un établissement à l'autre",
	AuditKey:        "le journal d'audit déjà écrit ne pourrait plus être vérifié",
	AuditSigningKey: "les points de contrôle déjà exportés ne pourraient plus être vérifiés",
	SecretsKey:      "les fichiers chiffrés par les autres serveurs ou avant la perte (listes d'identifiants, fichiers d'initialisation, imports en attente) ne s'ouvriraient plus",
	SigningKey:      "les passeports déjà remis ne pourraient plus être vérifiés et chaque instance partenaire devrait déclarer la nouvelle clé",
	FederationKey:   "les élèves ne seraient plus reconnus d'une instance à l'autre",
}

// loss says what replacing a key would break.
func loss(name string) string {
	if l, ok := losses[name]; ok {
		return l
	}
	return "ce qui a été fait avec l'ancienne ne pourrait plus être vérifié"
}

// Label returns how messages name a key.
func Label(name string) string {
	if l, ok := labels[name]; ok {
		return l
	}
	return "la clé « " + name + " »"
}

// Fingerprint is the fingerprint of one secret: hex HMAC-SHA256 of
// ident.FingerprintLabel under the secret (the same as
// ident.Keyring.Fingerprints).
func Fingerprint(secret []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ident.FingerprintLabel))
	return hex.EncodeToString(mac.Sum(nil))
}

// Short is the beginning of a fingerprint, enough for an operator to
// compare two of them.
func Short(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

// Active returns the versions of a key the database requires (not retired).
func Active(ctx context.Context, st *store.Store, name string) ([]sillage.KeyVersion, error) {
	var all []sillage.KeyVersion
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { all, err = tx.Keys().ListKeyVersions(ctx, name); return err }); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(k sillage.KeyVersion) bool { return k.Retired }), nil
}

// Check compares the versions held by a key file (version → fingerprint)
// with the registry: it refuses, with what to restore, when a version the
// database requires is missing from the file or differs; otherwise it
// records the versions the database did not know yet. Every command and
// the server check their keys at start, so the usual case (nothing new) is
// one read, without the write lock; only a new version takes it, and
// compares again there. file names the key file in messages.
func Check(ctx context.Context, st *store.Store, name, file string, have map[int]string) error {
	var known []sillage.KeyVersion
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { known, err = tx.Keys().ListKeyVersions(ctx, name); return err }); err != nil {
		return err
	}
	if err := compare(name, file, known, have); err != nil {
		return err
	}
	if len(newVersions(known, have)) == 0 {
		return nil
	}
	return st.Write(ctx, func(tx *store.Tx) error {
		known, err := tx.Keys().ListKeyVersions(ctx, name)
		if err != nil {
			return err
		}
		if err := compare(name, file, known, have); err != nil {
			return err
		}
		for _, v := range newVersions(known, have) {
			if err := tx.Keys().RecordKeyVersion(ctx, name, v, have[v]); err != nil {
				return err
			}
		}
		return nil
	})
}

// newVersions are the versions of the file the registry does not know, in
// order.
func newVersions(known []sillage.KeyVersion, have map[int]string) []int {
	byVersion := map[int]bool{}
	for _, k := range known {
		byVersion[k.Version] = true
	}
	var out []int
	for v := range have {
		if !byVersion[v] {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// compare refuses a file that lacks or changes a version the database
// requires.
func compare(name, file string, known []sillage.KeyVersion, have map[int]string) error {
	var missing, changed []string
	for _, k := range known {
		if k.Retired {
			continue
		}
		fp, ok := have[k.Version]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("v%d (empreinte %s)", k.Version, Short(k.Fingerprint)))
		case fp != k.Fingerprint:
			changed = append(changed, fmt.Sprintf("v%d (empreinte attendue %s, trouvée %s)", k.Version, Short(k.Fingerprint), Short(fp)))
		}
	}
	if len(missing) == 0 && len(changed) == 0 {
		return nil
	}
	var what []string
	if len(missing) > 0 {
		what = append(what, fmt.Sprintf("le fichier %s ne contient pas %s %s, avec laquelle la base de données a été construite", file, Label(name), strings.Join(missing, ", ")))
	}
	if len(changed) > 0 {
		what = append(what, fmt.Sprintf("le fichier %s contient une autre clé que celle de la base de données pour %s", file, strings.Join(changed, ", ")))
	}
	return sillage.Errorf(sillage.KindUnavailable,
		"démarrage refusé : %s. Restaurez le fichier de clé sauvegardé avec cette base (sauvegarde « cles/ », voir docs/operations.md) ; ne créez pas de nouvelle clé : %s",
		strings.Join(what, " ; "), loss(name))
}

// errNoFile builds the refusal for a missing key file.
func errNoFile(name, file string, known []sillage.KeyVersion) error {
	vs := make([]string, len(known))
	for i, k := range known {
		vs[i] = fmt.Sprintf("v%d (empreinte %s)", k.Version, Short(k.Fingerprint))
	}
	return sillage.Errorf(sillage.KindUnavailable,
		"démarrage refusé : le fichier %s est introuvable, alors que la base de données a été construite avec %s %s. Restaurez ce fichier depuis la sauvegarde (dossier « cles/ », voir docs/operations.md) ; ne créez pas de nouvelle clé : %s",
		file, Label(name), strings.Join(vs, ", "), loss(name))
}

// CheckIDKey checks the INE key file against the registry without needing
// the key: it refuses when the database requires versions and the file is
// missing, or lacks or changes one of them. A database that knows no
// version accepts a missing file (nothing was hashed yet). For the
// commands that rely on stored unqids only (transfer, serve).
func CheckIDKey(ctx context.Context, st *store.Store, file string) error {
	kr, err := ident.Load(file)
	if err != nil {
		if !errors.Is(err, ident.ErrNoKey) || ident.FileExists(file) {
			return err
		}
		known, kerr := Active(ctx, st, IDKey)
		if kerr != nil {
			return kerr
		}
		if len(known) > 0 {
			return errNoFile(IDKey, file, known)
		}
		return nil
	}
	return Check(ctx, st, IDKey, file, kr.Fingerprints())
}

// LoadIDKey returns the INE keyring for an import. A missing key file is
// created only for an empty instance (no key version known, no unqid
// stored) and only when mayCreate (the file is the embedded default, not
// one the operator named); otherwise the refusal says what to restore or
// that `sillage idkey init` creates the key of a new instance.
func LoadIDKey(ctx context.Context, st *store.Store, file string, mayCreate bool) (ident.Keyring, error) {
	kr, err := ident.Load(file)
	if err != nil {
		if !errors.Is(err, ident.ErrNoKey) || ident.FileExists(file) {
			return ident.Keyring{}, err
		}
		known, kerr := Active(ctx, st, IDKey)
		if kerr != nil {
			return ident.Keyring{}, kerr
		}
		if len(known) > 0 {
			return ident.Keyring{}, errNoFile(IDKey, file, known)
		}
		var used bool
		if kerr := st.Read(ctx, func(tx *store.Tx) (err error) { used, err = tx.Keys().HasPseudonyms(ctx); return err }); kerr != nil {
			return ident.Keyring{}, kerr
		}
		if used {
			return ident.Keyring{}, sillage.Errorf(sillage.KindUnavailable,
				"import refusé : le fichier %s est introuvable, alors que des élèves sont déjà enregistrés avec une clé des INE. Restaurez ce fichier depuis la sauvegarde (voir docs/operations.md) ; si la clé est perdue pour de bon, « sillage idkey init --replace » en crée une nouvelle, en connaissance de cause : les élèves déjà importés ne seront plus reconnus d'un établissement à l'autre",
				file)
		}
		if !mayCreate {
			return ident.Keyring{}, sillage.Errorf(sillage.KindUnavailable,
				"import refusé : le fichier de clé %s est introuvable. Pour une nouvelle instance, créez la clé avec « sillage idkey init » et sauvegardez-la ; sinon restaurez le fichier depuis la sauvegarde", file)
		}
		if kr, err = ident.LoadOrCreate(file); err != nil {
			return ident.Keyring{}, err
		}
	}
	if err := Check(ctx, st, IDKey, file, kr.Fingerprints()); err != nil {
		return ident.Keyring{}, err
	}
	return kr, nil
}

// InitIDKey creates the INE key file of an instance, explicitly (`sillage
// idkey init`). It refuses when the file exists, and when the database
// already knows a key or stores unqids unless replace: a deliberate
// replacement of a lost key, which retires the old versions and starts the
// new key above them, so that no new unqid shares a version with an old
// one. It returns the new keyring and the number of versions retired.
func InitIDKey(ctx context.Context, st *store.Store, file string, replace bool) (ident.Keyring, int, error) {
	if ident.FileExists(file) {
		return ident.Keyring{}, 0, sillage.Errorf(sillage.KindConflict, "le fichier de clé %s existe déjà : il n'est jamais remplacé. « sillage idkey rotate » ajoute une version", file)
	}
	var all []sillage.KeyVersion
	var newest string
	if err := st.Read(ctx, func(tx *store.Tx) (err error) {
		if all, err = tx.Keys().ListKeyVersions(ctx, IDKey); err != nil {
			return err
		}
		newest, err = tx.Keys().NewestPseudonym(ctx)
		return err
	}); err != nil {
		return ident.Keyring{}, 0, err
	}
	used := newest != ""
	next := 1
	if v, ok := ident.UnqidVersion(newest); ok {
		next = v + 1 // unqids made under versions the registry never saw (an instance older than it)
	}
	active := 0
	for _, k := range all {
		next = max(next, k.Version+1)
		if !k.Retired {
			active++
		}
	}
	if (active > 0 || used) && !replace {
		if active > 0 {
			return ident.Keyring{}, 0, errNoFile(IDKey, file, slices.DeleteFunc(all, func(k sillage.KeyVersion) bool { return k.Retired }))
		}
		return ident.Keyring{}, 0, sillage.Errorf(sillage.KindConflict,
			"des élèves sont déjà enregistrés avec une clé des INE : restaurez le fichier %s depuis la sauvegarde ; « --replace » crée une nouvelle clé en connaissance de cause (les élèves déjà importés ne seront plus reconnus d'un établissement à l'autre)", file)
	}
	kr, err := ident.Create(file, next)
	if err != nil {
		return ident.Keyring{}, 0, err
	}
	var retired int64
	err = st.Write(ctx, func(tx *store.Tx) error {
		if replace {
			if retired, err = tx.Keys().RetireKeyVersions(ctx, IDKey); err != nil {
				return err
			}
		}
		for v, fp := range kr.Fingerprints() {
			if err := tx.Keys().RecordKeyVersion(ctx, IDKey, v, fp); err != nil {
				return err
			}
		}
		return nil
	})
	return kr, int(retired), err
}

// LoadKey returns another key of the instance (the audit chain's, the
// checkpoint signing seed), checked against the registry like the INE key.
// A missing file is created (with header) only when the database knows no
// version of that key and mayCreate (the file is the embedded default);
// when it knows one, the refusal says what to restore.
func LoadKey(ctx context.Context, st *store.Store, name, file, header string, mayCreate bool) (ident.Keyring, error) {
	kr, err := ident.Load(file)
	if err != nil {
		if !errors.Is(err, ident.ErrNoKey) || ident.FileExists(file) {
			return ident.Keyring{}, err
		}
		known, kerr := Active(ctx, st, name)
		if kerr != nil {
			return ident.Keyring{}, kerr
		}
		if len(known) > 0 {
			return ident.Keyring{}, errNoFile(name, file, known)
		}
		if !mayCreate {
			return ident.Keyring{}, sillage.Errorf(sillage.KindUnavailable,
				"démarrage refusé : le fichier de %s %s est introuvable ; restaurez-le depuis la sauvegarde (voir docs/operations.md)", Label(name), file)
		}
		if kr, err = ident.LoadOrCreateWithHeader(file, header); err != nil {
			return ident.Keyring{}, err
		}
	}
	if err := Check(ctx, st, name, file, kr.Fingerprints()); err != nil {
		return ident.Keyring{}, err
	}
	return kr, nil
}

// LoadSecretsBox returns the key that seals the files kept with secrets or
// INEs, checked against the registry like the other keys: a server that
// does not find the file creates one only while the database knows none
// (the first server of an instance), so a second server started without a
// copy refuses to start instead of sealing with a key the others lack.
func LoadSecretsBox(ctx context.Context, st *store.Store, file string) (*sealbox.Box, error) {
	if !ident.FileExists(file) {
		known, err := Active(ctx, st, SecretsKey)
		if err != nil {
			return nil, err
		}
		if len(known) > 0 {
			return nil, sillage.Errorf(sillage.KindUnavailable, "%s ; si elle est perdue pour de bon (aucune sauvegarde, aucun autre serveur), « sillage secretskey replace » en crée une nouvelle",
				strings.TrimSuffix(sillage.Message(errNoFile(SecretsKey, file, known)), "."))
		}
	}
	box, err := sealbox.LoadOrCreate(file)
	if err != nil {
		return nil, err
	}
	if err := Check(ctx, st, SecretsKey, file, box.Fingerprints()); err != nil {
		return nil, err
	}
	return box, nil
}

// ReplaceSecretsKey creates a new secrets key file in place of a lost one
// (`sillage secretskey replace`): the versions the database knew are
// retired, the new key starts above them. What the lost key sealed does
// not open any more — credential lists, initialisation files and imports
// held for a confirmation, all short-lived. It returns the new box and the
// number of versions retired; it refuses when the file exists.
func ReplaceSecretsKey(ctx context.Context, st *store.Store, file string) (*sealbox.Box, int, error) {
	if ident.FileExists(file) {
		return nil, 0, sillage.Errorf(sillage.KindConflict, "le fichier %s existe déjà : il n'est jamais remplacé ; s'il est le bon, rien n'est à faire", file)
	}
	var all []sillage.KeyVersion
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { all, err = tx.Keys().ListKeyVersions(ctx, SecretsKey); return err }); err != nil {
		return nil, 0, err
	}
	next := 1
	for _, k := range all {
		next = max(next, k.Version+1)
	}
	box, err := sealbox.Create(file, next)
	if err != nil {
		return nil, 0, err
	}
	var retired int64
	err = st.Write(ctx, func(tx *store.Tx) (err error) {
		if retired, err = tx.Keys().RetireKeyVersions(ctx, SecretsKey); err != nil {
			return err
		}
		return tx.Keys().RecordKeyVersion(ctx, SecretsKey, next, box.Fingerprints()[next])
	})
	if err != nil {
		return nil, 0, err
	}
	return box, int(retired), nil
}

// LoadSigningKey returns the instance's signer (its Ed25519 identity),
// checked against the registry like every key: created on first use only
// for the embedded default while the database knows no version.
func LoadSigningKey(ctx context.Context, st *store.Store, file string, mayCreate bool) (*signing.Signer, error) {
	kr, err := LoadKey(ctx, st, SigningKey, file, signing.KeyFileHeader, mayCreate)
	if err != nil {
		return nil, fmt.Errorf("clé de signature de l'instance : %w", err)
	}
	return signing.NewSigner(kr)
}

// LoadFederationKey returns the federation key, or a zero keyring when
// file is "" (federation off). It is never created: the federation's
// operator distributes it. An instance whose database knows a version
// refuses to go on without the file (its students' federation hashes
// would silently stop being computed).
func LoadFederationKey(ctx context.Context, st *store.Store, file string) (ident.Keyring, error) {
	if file == "" {
		known, err := Active(ctx, st, FederationKey)
		if err != nil {
			return ident.Keyring{}, err
		}
		if len(known) > 0 {
			return ident.Keyring{}, sillage.Errorf(sillage.KindUnavailable,
				"la base connaît %s (%d version(s)) mais SILLAGE_FEDERATION_KEY_FILE n'est pas renseigné : indiquez le fichier reçu de l'opérateur de la fédération", Label(FederationKey), len(known))
		}
		return ident.Keyring{}, nil
	}
	kr, err := LoadKey(ctx, st, FederationKey, file, "", false)
	if err != nil {
		return ident.Keyring{}, fmt.Errorf("clé de fédération : %w", err)
	}
	return kr, nil
}
