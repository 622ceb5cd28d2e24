// Package config is Sillage's one configuration: defaults that make
// `sillage demo` work with nothing set, overridden by SILLAGE_* environment
// variables, overridden by command-line flags; validated once at start and
// printable with secrets masked.
package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// Config holds every setting.
type Config struct {
	DB        string // SILLAGE_DB: sqlite:PATH or postgres://…
	DataDir   string // SILLAGE_DATA_DIR: files (blobs), the default id key
	Addr      string // SILLAGE_ADDR: listen address of `serve`
	BaseURL   string // SILLAGE_BASE_URL: public URL, for links in messages
	IDKeyFile string // SILLAGE_ID_KEY_FILE: the INE hashing key (outside the database)
	// SecretsKeyFile (SILLAGE_SECRETS_KEY_FILE) is the key that encrypts the
	// files kept with secrets or INEs in clear (credential lists, changeover
	// initialisation files, held imports): outside the database and the
	// data directory.
	SecretsKeyFile string
	Now            string // --now: fixes the clock (RFC 3339 or YYYY-MM-DD)

	TLSCert, TLSKey string // serve TLS directly (else behind a proxy)

	Retention sillage.Retention

	MaxUpload          int64          // bytes, per uploaded file
	MaxImport          int64          // bytes, per directory file (expanded)
	MinFreeSpace       int64          // bytes free the data directory must keep for /readyz (SILLAGE_MIN_FREE_SPACE)
	SessionIdle        time.Duration  // inactivity before a session expires
	MassDeactivation   float64        // share of active students an import may deactivate without confirmation
	TransferSweepAt    string         // HH:MM, daily transfer sweep
	PurgeWeekday       time.Weekday   // weekly purge day
	LSUSchemaDir       string         // folder of the official LSU XSDs (laid out as shared/reference/lsu)
	TimeZone           string         // the schools' calendar zone (SILLAGE_TIMEZONE)
	PrivacyContact     string         // who to contact about personal data (privacy notice)
	PrivacyController  string         // who is responsible for the processing
	SecureCookies      bool           // Secure flag on cookies (HTTPS)
	JobWorkers         int            // concurrent background jobs
	TrustedProxies     []netip.Prefix // reverse proxies whose X-Forwarded-For is believed (SILLAGE_TRUSTED_PROXIES)
	MetricsFrom        []netip.Prefix // who may read /metrics without the token, by connection address (SILLAGE_METRICS_FROM)
	DefaultIDKeyCreate bool           // create the key file when it is missing (embedded default only)

	AuditKeyFile                 string // SILLAGE_AUDIT_KEY_FILE: seals the audit chains (HMAC), outside the database
	AuditSigningKeyFile          string // SILLAGE_AUDIT_SIGNING_KEY_FILE: signs the audit checkpoints (Ed25519 seed)
	DefaultAuditKeyCreate        bool   // create the audit key file when missing (embedded default only)
	DefaultAuditSigningKeyCreate bool   // create the signing key file when missing (embedded default only)
	// SigningKeyFile (SILLAGE_SIGNING_KEY_FILE) is the instance's signing
	// identity (Ed25519 seed): it signs passports and federation messages.
	SigningKeyFile          string
	DefaultSigningKeyCreate bool // create it when missing (embedded default only)
	// FederationKeyFile (SILLAGE_FEDERATION_KEY_FILE) is the federation's
	// key, received from the federation's operator; "" : federation off.
	FederationKeyFile string
	APITokenLifetime  time.Duration // SILLAGE_API_TOKEN_DAYS: an API token expires after this
	MetricsToken      string        // SILLAGE_METRICS_TOKEN: bearer token that opens /metrics (secret)
	MetricsAddr       string        // SILLAGE_METRICS_ADDR: /metrics on its own listen address only
	// SSOFile (SILLAGE_SSO_FILE) describes the single sign-on providers
	// (JSON, docs/sso.md); "" : none, passwords only.
	SSOFile string
	// The files on an S3-compatible object store instead of DataDir/files
	// (SILLAGE_BLOB_S3_*): what several servers share.
	BlobS3Endpoint  string // host:port; "" : files in the data directory
	BlobS3Bucket    string
	BlobS3AccessKey string
	BlobS3SecretKey string // secret
	BlobS3Region    string
	BlobS3Prefix    string // a folder of the bucket ("" : its root)
	BlobS3TLS       bool   // https (default true)
	// CredentialListDays: how long a credential list (one-time passwords)
	// is kept (SILLAGE_CREDENTIAL_LIST_DAYS, 1 to 30).
	CredentialListDays int
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		DB:                 "sqlite:sillage-data/sillage.db",
		DataDir:            "sillage-data",
		Addr:               "127.0.0.1:8080",
		Retention:          sillage.DefaultRetention(),
		MaxUpload:          20 << 20,
		MaxImport:          512 << 20,
		MinFreeSpace:       1 << 30,
		SessionIdle:        30 * time.Minute,
		MassDeactivation:   0.30,
		TransferSweepAt:    "02:00",
		PurgeWeekday:       time.Sunday,
		TimeZone:           "Europe/Paris",
		PrivacyContact:     "le délégué à la protection des données de l'académie",
		PrivacyController:  "le chef d'établissement",
		JobWorkers:         2,
		APITokenLifetime:   90 * 24 * time.Hour,
		CredentialListDays: 7,
		BlobS3TLS:          true,
	}
}

type envVar struct {
	name string
	set  func(*Config, string) error
}

func intVar(dst func(*Config) *int) func(*Config, string) error {
	return func(c *Config, s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("nombre entier attendu")
		}
		*dst(c) = n
		return nil
	}
}

var envVars = []envVar{
	{"SILLAGE_DB", func(c *Config, s string) error { c.DB = s; return nil }},
	{"SILLAGE_DATA_DIR", func(c *Config, s string) error { c.DataDir = s; return nil }},
	{"SILLAGE_ADDR", func(c *Config, s string) error { c.Addr = s; return nil }},
	{"SILLAGE_BASE_URL", func(c *Config, s string) error { c.BaseURL = s; return nil }},
	{"SILLAGE_SSO_FILE", func(c *Config, s string) error { c.SSOFile = strings.TrimSpace(s); return nil }},
	{"SILLAGE_ID_KEY_FILE", func(c *Config, s string) error { c.IDKeyFile = s; return nil }},
	{"SILLAGE_SECRETS_KEY_FILE", func(c *Config, s string) error { c.SecretsKeyFile = s; return nil }},
	{"SILLAGE_CREDENTIAL_LIST_DAYS", intVar(func(c *Config) *int { return &c.CredentialListDays })},
	{"SILLAGE_TLS_CERT", func(c *Config, s string) error { c.TLSCert = s; return nil }},
	{"SILLAGE_TLS_KEY", func(c *Config, s string) error { c.TLSKey = s; return nil }},
	{"SILLAGE_LSU_SCHEMA_DIR", func(c *Config, s string) error { c.LSUSchemaDir = s; return nil }},
	{"SILLAGE_PRIVACY_CONTACT", func(c *Config, s string) error { c.PrivacyContact = s; return nil }},
	{"SILLAGE_PRIVACY_CONTROLLER", func(c *Config, s string) error { c.PrivacyController = s; return nil }},
	{"SILLAGE_TRANSFER_SWEEP_AT", func(c *Config, s string) error { c.TransferSweepAt = s; return nil }},
	{"SILLAGE_TIMEZONE", func(c *Config, s string) error { c.TimeZone = s; return nil }},
	{"SILLAGE_RETENTION_STUDENT_MONTHS", intVar(func(c *Config) *int { return &c.Retention.StudentMonths })},
	{"SILLAGE_RETENTION_NEW_STUDENT_MONTHS", intVar(func(c *Config) *int { return &c.Retention.NewStudentMonths })},
	{"SILLAGE_RETENTION_DEPARTED_ACCESS_MONTHS", intVar(func(c *Config) *int { return &c.Retention.DepartedAccessMonths })},
	{"SILLAGE_RETENTION_OTHER_ACCOUNT_YEARS", intVar(func(c *Config) *int { return &c.Retention.OtherAccountYears })},
	{"SILLAGE_RETENTION_ARCHIVE_YEARS", intVar(func(c *Config) *int { return &c.Retention.ArchiveYears })},
	{"SILLAGE_RETENTION_AUDIT_MONTHS", intVar(func(c *Config) *int { return &c.Retention.AuditMonths })},
	{"SILLAGE_AUDIT_KEY_FILE", func(c *Config, s string) error { c.AuditKeyFile = s; return nil }},
	{"SILLAGE_AUDIT_SIGNING_KEY_FILE", func(c *Config, s string) error { c.AuditSigningKeyFile = s; return nil }},
	{"SILLAGE_SIGNING_KEY_FILE", func(c *Config, s string) error { c.SigningKeyFile = s; return nil }},
	{"SILLAGE_FEDERATION_KEY_FILE", func(c *Config, s string) error { c.FederationKeyFile = strings.TrimSpace(s); return nil }},
	{"SILLAGE_METRICS_TOKEN", func(c *Config, s string) error { c.MetricsToken = strings.TrimSpace(s); return nil }},
	{"SILLAGE_METRICS_ADDR", func(c *Config, s string) error { c.MetricsAddr = strings.TrimSpace(s); return nil }},
	{"SILLAGE_API_TOKEN_DAYS", func(c *Config, s string) error {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("nombre de jours attendu (au moins 1)")
		}
		c.APITokenLifetime = time.Duration(n) * 24 * time.Hour
		return nil
	}},
	{"SILLAGE_ROLLOVER_UNDO_DAYS", intVar(func(c *Config) *int { return &c.Retention.RolloverUndoDays })},
	{"SILLAGE_JOB_WORKERS", intVar(func(c *Config) *int { return &c.JobWorkers })},
	{"SILLAGE_MAX_UPLOAD", func(c *Config, s string) error { n, err := parseSize(s); c.MaxUpload = n; return err }},
	{"SILLAGE_MAX_IMPORT", func(c *Config, s string) error { n, err := parseSize(s); c.MaxImport = n; return err }},
	{"SILLAGE_MIN_FREE_SPACE", func(c *Config, s string) error { n, err := parseSize(s); c.MinFreeSpace = n; return err }},
	{"SILLAGE_SESSION_IDLE", func(c *Config, s string) error {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("durée attendue, par exemple 30m")
		}
		c.SessionIdle = d
		return nil
	}},
	{"SILLAGE_MASS_DEACTIVATION", func(c *Config, s string) error {
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
		if err != nil {
			return fmt.Errorf("part attendue, par exemple 0.3 ou 30%%")
		}
		if strings.HasSuffix(strings.TrimSpace(s), "%") {
			f /= 100
		}
		c.MassDeactivation = f
		return nil
	}},
	{"SILLAGE_PURGE_WEEKDAY", func(c *Config, s string) error {
		d, err := parseWeekday(s)
		c.PurgeWeekday = d
		return err
	}},
	{"SILLAGE_TRUSTED_PROXIES", func(c *Config, s string) error {
		ps, err := ParseProxies(s)
		c.TrustedProxies = ps
		return err
	}},
	{"SILLAGE_METRICS_FROM", func(c *Config, s string) error {
		ps, err := ParseProxies(s)
		c.MetricsFrom = ps
		return err
	}},
	{"SILLAGE_BLOB_S3_ENDPOINT", func(c *Config, s string) error { c.BlobS3Endpoint = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_BUCKET", func(c *Config, s string) error { c.BlobS3Bucket = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_ACCESS_KEY", func(c *Config, s string) error { c.BlobS3AccessKey = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_SECRET_KEY", func(c *Config, s string) error { c.BlobS3SecretKey = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_REGION", func(c *Config, s string) error { c.BlobS3Region = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_PREFIX", func(c *Config, s string) error { c.BlobS3Prefix = strings.TrimSpace(s); return nil }},
	{"SILLAGE_BLOB_S3_TLS", func(c *Config, s string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		c.BlobS3TLS = b
		if err != nil {
			return fmt.Errorf("true ou false attendu")
		}
		return nil
	}},
	{"SILLAGE_SECURE_COOKIES", func(c *Config, s string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		c.SecureCookies = b
		if err != nil {
			return fmt.Errorf("true ou false attendu")
		}
		return nil
	}},
}

// FromEnv applies the SILLAGE_* variables getenv returns.
func (c *Config) FromEnv(getenv func(string) string) error {
	for _, v := range envVars {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		if err := v.set(c, s); err != nil {
			return sillage.Errorf(sillage.KindInvalid, "variable %s=%q invalide : %v", v.name, s, err)
		}
	}
	return nil
}

// BindFlags declares the global flags on fs, defaulting to c's values (so
// a flag overrides the environment, which overrides the defaults).
func (c *Config) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.DB, "db", c.DB, "base de données : sqlite:CHEMIN ou postgres://… (SILLAGE_DB)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "dossier des données : fichiers, clé d'identification (SILLAGE_DATA_DIR)")
	fs.StringVar(&c.IDKeyFile, "id-key-file", c.IDKeyFile, "fichier de la clé de hachage des INE (SILLAGE_ID_KEY_FILE)")
	fs.StringVar(&c.AuditKeyFile, "audit-key-file", c.AuditKeyFile, "fichier de la clé qui scelle le journal d'audit (SILLAGE_AUDIT_KEY_FILE)")
	fs.StringVar(&c.AuditSigningKeyFile, "audit-signing-key-file", c.AuditSigningKeyFile, "fichier de la clé qui signe les points de contrôle du journal (SILLAGE_AUDIT_SIGNING_KEY_FILE)")
	fs.StringVar(&c.SecretsKeyFile, "secrets-key-file", c.SecretsKeyFile, "fichier de la clé de chiffrement des fichiers sensibles (SILLAGE_SECRETS_KEY_FILE)")
	fs.StringVar(&c.Now, "now", c.Now, "date et heure à utiliser au lieu de l'horloge (AAAA-MM-JJ ou RFC 3339)")
}

// Validate checks the configuration and fills derived defaults.
// UseDataDir moves the data directory and the key files that were only
// placed in it by default (the demo's own folder); Validate places them
// again. A key file the operator named stays where it is.
func (c *Config) UseDataDir(dir string) {
	c.DataDir = dir
	if c.DefaultIDKeyCreate {
		c.IDKeyFile, c.DefaultIDKeyCreate = "", false
	}
	if c.DefaultAuditKeyCreate {
		c.AuditKeyFile, c.DefaultAuditKeyCreate = "", false
	}
	if c.DefaultAuditSigningKeyCreate {
		c.AuditSigningKeyFile, c.DefaultAuditSigningKeyCreate = "", false
	}
	if c.DefaultSigningKeyCreate {
		c.SigningKeyFile, c.DefaultSigningKeyCreate = "", false
	}
}

func (c *Config) Validate() error {
	if _, err := store.ParseDSN(c.DB); err != nil {
		return err
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return sillage.Errorf(sillage.KindInvalid, "le dossier des données (SILLAGE_DATA_DIR) est obligatoire")
	}
	if c.IDKeyFile == "" {
		// The embedded default: a key file beside the data, created on
		// first use; the README tells the operator to back it up.
		c.IDKeyFile = filepath.Join(c.DataDir, "id-key")
		c.DefaultIDKeyCreate = true
	}
	if c.AuditKeyFile == "" {
		// Beside the INE key by default: outside the database.
		c.AuditKeyFile = filepath.Join(c.DataDir, "audit-key")
		c.DefaultAuditKeyCreate = true
	}
	if c.AuditSigningKeyFile == "" {
		c.AuditSigningKeyFile = filepath.Join(c.DataDir, "audit-signing-key")
		c.DefaultAuditSigningKeyCreate = true
	}
	if c.SigningKeyFile == "" {
		c.SigningKeyFile = filepath.Join(c.DataDir, "signing-key")
		c.DefaultSigningKeyCreate = true
	}
	if c.APITokenLifetime < 24*time.Hour {
		return sillage.Errorf(sillage.KindInvalid, "la durée de vie des jetons d'API doit être d'au moins un jour")
	}
	if c.SecretsKeyFile == "" {
		// Beside the data directory, never inside it: a copy of the data
		// alone must not open the files it encrypts.
		c.SecretsKeyFile = filepath.Join(filepath.Dir(filepath.Clean(c.DataDir)), "sillage-secrets-key")
	}
	if inside(c.SecretsKeyFile, c.DataDir) {
		return sillage.Errorf(sillage.KindInvalid,
			"la clé de chiffrement (SILLAGE_SECRETS_KEY_FILE=%s) ne doit pas être dans le dossier des données (%s) : une copie des données l'emporterait avec elles", c.SecretsKeyFile, c.DataDir)
	}
	if c.CredentialListDays < 1 || c.CredentialListDays > 30 {
		return sillage.Errorf(sillage.KindInvalid, "SILLAGE_CREDENTIAL_LIST_DAYS doit être compris entre 1 et 30 jours")
	}
	if c.Now != "" {
		if _, err := sillage.ParseNow(c.Now); err != nil {
			return err
		}
	}
	if err := c.Retention.Validate(); err != nil {
		return err
	}
	if c.MaxUpload <= 0 || c.MaxImport <= 0 {
		return sillage.Errorf(sillage.KindInvalid, "les tailles maximales doivent être positives")
	}
	if c.SessionIdle < time.Minute {
		return sillage.Errorf(sillage.KindInvalid, "l'expiration des sessions doit être d'au moins une minute")
	}
	if c.MassDeactivation <= 0 || c.MassDeactivation > 1 {
		return sillage.Errorf(sillage.KindInvalid, "la part de désactivation massive doit être comprise entre 0 et 1")
	}
	if _, _, err := c.SweepTime(); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return sillage.Errorf(sillage.KindInvalid, "SILLAGE_TLS_CERT et SILLAGE_TLS_KEY vont ensemble")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "fuseau horaire %q inconnu (SILLAGE_TIMEZONE), par exemple Europe/Paris ou Indian/Reunion", c.TimeZone)
	}
	// One process, one calendar: "today" is read in this zone everywhere.
	sillage.SchoolZone = loc
	if c.JobWorkers < 1 {
		return sillage.Errorf(sillage.KindInvalid, "SILLAGE_JOB_WORKERS doit être au moins 1")
	}
	if c.TLSCert != "" || strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.BaseURL)), "https://") {
		// Served over HTTPS, directly or behind a proxy: cookies never
		// travel in clear.
		c.SecureCookies = true
	}
	if c.BlobS3Endpoint != "" {
		if strings.Contains(c.BlobS3Endpoint, "://") || strings.Contains(c.BlobS3Endpoint, "/") {
			return sillage.Errorf(sillage.KindInvalid, "SILLAGE_BLOB_S3_ENDPOINT attend hôte:port, sans https:// ni chemin (https se règle par SILLAGE_BLOB_S3_TLS)")
		}
		if c.BlobS3Bucket == "" || c.BlobS3AccessKey == "" || c.BlobS3SecretKey == "" {
			return sillage.Errorf(sillage.KindInvalid, "le stockage objet (SILLAGE_BLOB_S3_ENDPOINT) demande aussi SILLAGE_BLOB_S3_BUCKET, SILLAGE_BLOB_S3_ACCESS_KEY et SILLAGE_BLOB_S3_SECRET_KEY")
		}
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		return sillage.Errorf(sillage.KindInvalid, "SILLAGE_METRICS_ADDR doit différer de l'adresse d'écoute du site (SILLAGE_ADDR)")
	}
	return nil
}

// inside reports whether path is dir or under it (paths made absolute).
func inside(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && (rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))))
}

// SweepTime returns the hour and minute of the daily transfer sweep.
func (c *Config) SweepTime() (int, int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(c.TransferSweepAt))
	if err != nil {
		return 0, 0, sillage.Errorf(sillage.KindInvalid, "heure du transfert quotidien %q invalide : HH:MM attendu", c.TransferSweepAt)
	}
	return t.Hour(), t.Minute(), nil
}

// DSN returns the parsed database setting.
func (c *Config) DSN() store.DSN {
	d, _ := store.ParseDSN(c.DB)
	return d
}

// Clock returns the clock: fixed by --now, the system's otherwise.
func (c *Config) Clock() sillage.Clock {
	if c.Now != "" {
		t, err := sillage.ParseNow(c.Now)
		if err == nil {
			return sillage.FixedClock{T: t}
		}
	}
	return sillage.SystemClock{}
}

// BlobS3 reports whether the files live on an S3-compatible object store.
func (c *Config) BlobS3() bool { return c.BlobS3Endpoint != "" }

// BlobDir is where files are stored (when not on an object store; the
// object store's temporary files are written under its tmp/ folder).
func (c *Config) BlobDir() string { return filepath.Join(c.DataDir, "files") }

// UploadsDir is where an import's upload is written while its request
// lasts (the imports held for a confirmation are kept in the database).
func (c *Config) UploadsDir() string { return filepath.Join(c.DataDir, "imports-en-attente") }

// Setting is one line of `sillage config`.
type Setting struct {
	Name  string `json:"name"`
	Env   string `json:"env"`
	Value string `json:"value"`
}

// Settings lists the configuration with secrets masked.
func (c *Config) Settings() []Setting {
	dsn := c.DSN()
	now := "(horloge du système)"
	if c.Now != "" {
		now = c.Now
		if t, err := sillage.ParseNow(c.Now); err == nil {
			now = sillage.FormatDateTime(t) + " (" + sillage.ZoneLabel() + ")"
		}
	}
	return []Setting{
		{"base de données", "SILLAGE_DB", dsn.String()},
		{"dossier des données", "SILLAGE_DATA_DIR", c.DataDir},
		{"fichier de la clé des INE", "SILLAGE_ID_KEY_FILE", c.IDKeyFile},
		{"fichier de la clé du journal d'audit", "SILLAGE_AUDIT_KEY_FILE", c.AuditKeyFile},
		{"fichier de la clé de signature des points de contrôle", "SILLAGE_AUDIT_SIGNING_KEY_FILE", c.AuditSigningKeyFile},
		{"fichier de la clé de chiffrement des fichiers sensibles", "SILLAGE_SECRETS_KEY_FILE", c.SecretsKeyFile},
		{"fichier de la clé de signature de l'instance", "SILLAGE_SIGNING_KEY_FILE", c.SigningKeyFile},
		{"fichier de la clé de fédération", "SILLAGE_FEDERATION_KEY_FILE", orNone(c.FederationKeyFile, "aucun (fédération désactivée)")},
		{"conservation des listes d'identifiants", "SILLAGE_CREDENTIAL_LIST_DAYS", count(c.CredentialListDays, "jour", "jours")},
		{"adresse d'écoute", "SILLAGE_ADDR", c.Addr},
		{"URL publique", "SILLAGE_BASE_URL", c.BaseURL},
		{"fournisseurs d'identité (connexion unique)", "SILLAGE_SSO_FILE", orNone(c.SSOFile, "aucun (mots de passe seulement)")},
		{"certificat TLS", "SILLAGE_TLS_CERT", c.TLSCert},
		{"clé TLS", "SILLAGE_TLS_KEY", c.TLSKey},
		{"horloge", "--now", now},
		{"conservation d'un élève désactivé", "SILLAGE_RETENTION_STUDENT_MONTHS", count(c.Retention.StudentMonths, "mois", "mois")},
		{"fenêtre de réception d'un nouvel élève", "SILLAGE_RETENTION_NEW_STUDENT_MONTHS", count(c.Retention.NewStudentMonths, "mois", "mois")},
		{"accès d'un élève parti", "SILLAGE_RETENTION_DEPARTED_ACCESS_MONTHS", count(c.Retention.DepartedAccessMonths, "mois", "mois")},
		{"conservation des autres comptes désactivés", "SILLAGE_RETENTION_OTHER_ACCOUNT_YEARS", count(c.Retention.OtherAccountYears, "an", "ans")},
		{"conservation des archives de classe", "SILLAGE_RETENTION_ARCHIVE_YEARS", count(c.Retention.ArchiveYears, "an", "ans")},
		{"conservation du journal d'audit", "SILLAGE_RETENTION_AUDIT_MONTHS", count(c.Retention.AuditMonths, "mois", "mois")},
		{"délai d'annulation d'une étape du changement d'année", "SILLAGE_ROLLOVER_UNDO_DAYS", count(c.Retention.RolloverUndoDays, "jour", "jours")},
		{"taille maximale d'un fichier déposé", "SILLAGE_MAX_UPLOAD", sillage.FormatSize(c.MaxUpload)},
		{"taille maximale d'un fichier importé", "SILLAGE_MAX_IMPORT", sillage.FormatSize(c.MaxImport)},
		{"place libre exigée par /readyz", "SILLAGE_MIN_FREE_SPACE", sillage.FormatSize(c.MinFreeSpace)},
		{"expiration des sessions inactives", "SILLAGE_SESSION_IDLE", sillage.FormatDuration(c.SessionIdle)},
		{"part de désactivation soumise à confirmation", "SILLAGE_MASS_DEACTIVATION", sillage.FormatPercent(c.MassDeactivation)},
		{"heure du transfert quotidien", "SILLAGE_TRANSFER_SWEEP_AT", c.TransferSweepAt},
		{"fuseau horaire des établissements", "SILLAGE_TIMEZONE", c.TimeZone},
		{"jour de la purge hebdomadaire", "SILLAGE_PURGE_WEEKDAY", frenchWeekdays[c.PurgeWeekday]},
		{"schémas LSU officiels", "SILLAGE_LSU_SCHEMA_DIR", c.LSUSchemaDir},
		{"contact données personnelles", "SILLAGE_PRIVACY_CONTACT", c.PrivacyContact},
		{"responsable du traitement", "SILLAGE_PRIVACY_CONTROLLER", c.PrivacyController},
		{"cookies sécurisés (HTTPS)", "SILLAGE_SECURE_COOKIES", sillage.FormatBool(c.SecureCookies)},
		{"tâches de fond simultanées", "SILLAGE_JOB_WORKERS", strconv.Itoa(c.JobWorkers)},
		{"mandataires inverses de confiance", "SILLAGE_TRUSTED_PROXIES", proxiesString(c.TrustedProxies, "aucun (adresse de la connexion)")},
		{"lecteurs des métriques", "SILLAGE_METRICS_FROM", proxiesString(c.MetricsFrom, "aucun (jeton ou adresse dédiée)")},
		{"jeton des métriques", "SILLAGE_METRICS_TOKEN", masked(c.MetricsToken)},
		{"adresse d'écoute des métriques", "SILLAGE_METRICS_ADDR", orNone(c.MetricsAddr, "aucune (sur le site)")},
		{"durée de vie des jetons d'API", "SILLAGE_API_TOKEN_DAYS", sillage.FormatDuration(c.APITokenLifetime)},
		{"stockage objet des fichiers", "SILLAGE_BLOB_S3_ENDPOINT", orNone(c.BlobS3Endpoint, "aucun (dossier des données)")},
		{"compartiment du stockage objet", "SILLAGE_BLOB_S3_BUCKET", c.BlobS3Bucket},
		{"dossier dans le compartiment", "SILLAGE_BLOB_S3_PREFIX", c.BlobS3Prefix},
		{"région du stockage objet", "SILLAGE_BLOB_S3_REGION", c.BlobS3Region},
		{"clé d'accès du stockage objet", "SILLAGE_BLOB_S3_ACCESS_KEY", c.BlobS3AccessKey},
		{"clé secrète du stockage objet", "SILLAGE_BLOB_S3_SECRET_KEY", masked(c.BlobS3SecretKey)},
		{"stockage objet en HTTPS", "SILLAGE_BLOB_S3_TLS", sillage.FormatBool(c.BlobS3TLS)},
	}
}

// count writes a number of days, months or years in words: "1 an",
// "6 mois".
func count(n int, one, many string) string {
	if n <= 1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

var frenchWeekdays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

func parseWeekday(s string) (time.Weekday, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, d := range frenchWeekdays {
		if s == d || s == strings.ToLower(time.Weekday(i).String()) || s == strconv.Itoa(i) {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("jour de la semaine attendu (lundi … dimanche)")
}

func parseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("taille attendue, par exemple 20M")
	}
	return n * mult, nil
}

// Exists reports whether a path exists (for the id key default).
func Exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ParseProxies reads a comma-separated list of addresses and networks
// (192.0.2.10, 10.0.0.0/8, ::1).
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("réseau %q illisible (attendu par exemple 10.0.0.0/8)", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("adresse %q illisible (attendu par exemple 192.0.2.10)", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func proxiesString(ps []netip.Prefix, none string) string {
	if len(ps) == 0 {
		return none
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

func masked(secret string) string {
	if secret == "" {
		return "(aucun)"
	}
	return "(masqué)"
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
