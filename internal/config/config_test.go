package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	c := Default()
	if err := c.FromEnv(env(map[string]string{"SILLAGE_DB": "postgres://u:pw@db:5432/s", "SILLAGE_SESSION_IDLE": "45m", "SILLAGE_MASS_DEACTIVATION": "25%"})); err != nil {
		t.Fatal(err)
	}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	c.BindFlags(fs)
	if err := fs.Parse([]string{"--data-dir", "/srv/sillage"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DB != "postgres://u:pw@db:5432/s" || c.DataDir != "/srv/sillage" || c.SessionIdle != 45*time.Minute || c.MassDeactivation != 0.25 {
		t.Fatalf("config = %+v", c)
	}
	if c.IDKeyFile != "/srv/sillage/id-key" || !c.DefaultIDKeyCreate {
		t.Fatalf("id key default = %q %v", c.IDKeyFile, c.DefaultIDKeyCreate)
	}
	// The secrets key defaults beside the data directory, not inside it;
	// credential lists are kept 7 days.
	if c.SecretsKeyFile != "/srv/sillage-secrets-key" || c.CredentialListDays != 7 {
		t.Fatalf("secrets key default = %q, credential lists %d days", c.SecretsKeyFile, c.CredentialListDays)
	}
	for _, s := range c.Settings() {
		if strings.Contains(s.Value, "pw@") {
			t.Fatalf("setting %q shows the password: %q", s.Name, s.Value)
		}
	}
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SILLAGE_DB": "mysql://x"}, "sqlite:CHEMIN ou postgres"},
		{map[string]string{"SILLAGE_SESSION_IDLE": "soon"}, "SILLAGE_SESSION_IDLE"},
		{map[string]string{"SILLAGE_RETENTION_STUDENT_MONTHS": "0"}, "au moins un mois"},
		{map[string]string{"SILLAGE_TRANSFER_SWEEP_AT": "25h"}, "HH:MM"},
		{map[string]string{"SILLAGE_MAX_UPLOAD": "-3"}, "SILLAGE_MAX_UPLOAD"},
		{map[string]string{"SILLAGE_TLS_CERT": "a.pem"}, "vont ensemble"},
		{map[string]string{"SILLAGE_API_TOKEN_DAYS": "0"}, "au moins 1"},
		{map[string]string{"SILLAGE_API_TOKEN_DAYS": "trois mois"}, "SILLAGE_API_TOKEN_DAYS"},
		{map[string]string{"SILLAGE_ADDR": "127.0.0.1:8080", "SILLAGE_METRICS_ADDR": "127.0.0.1:8080"}, "doit différer"},
		{map[string]string{"SILLAGE_DATA_DIR": "/srv/data", "SILLAGE_SECRETS_KEY_FILE": "/srv/data/cles/secrets"}, "ne doit pas être dans le dossier des données"},
		{map[string]string{"SILLAGE_DATA_DIR": "/srv/data", "SILLAGE_SECRETS_KEY_FILE": "/srv/data"}, "ne doit pas être dans le dossier des données"},
		{map[string]string{"SILLAGE_CREDENTIAL_LIST_DAYS": "0"}, "entre 1 et 30"},
		{map[string]string{"SILLAGE_CREDENTIAL_LIST_DAYS": "31"}, "entre 1 et 30"},
		{map[string]string{"SILLAGE_BLOB_S3_ENDPOINT": "s3.example.fr:443"}, "SILLAGE_BLOB_S3_BUCKET"},
		{map[string]string{"SILLAGE_BLOB_S3_ENDPOINT": "https://s3.example.fr", "SILLAGE_BLOB_S3_BUCKET": "b",
			"SILLAGE_BLOB_S3_ACCESS_KEY": "a", "SILLAGE_BLOB_S3_SECRET_KEY": "s"}, "sans https://"},
		{map[string]string{"SILLAGE_BLOB_S3_TLS": "peut-être"}, "SILLAGE_BLOB_S3_TLS"},
	}
	for _, tt := range tests {
		c := Default()
		err := c.FromEnv(env(tt.env))
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.env, err, tt.want)
		}
	}
}

// TestSecurityDefaults: cookies are Secure whenever the public URL is
// https; the audit keys live beside the INE key; the token lifetime and the
// metrics token are read, the token masked.
func TestSecurityDefaults(t *testing.T) {
	tests := []struct {
		env        map[string]string
		wantSecure bool
	}{
		{map[string]string{"SILLAGE_BASE_URL": "https://sillage.ac-exemple.fr"}, true},
		{map[string]string{"SILLAGE_BASE_URL": "HTTPS://sillage.ac-exemple.fr/"}, true},
		{map[string]string{"SILLAGE_BASE_URL": "http://localhost:8080"}, false},
		{map[string]string{}, false},
		{map[string]string{"SILLAGE_BASE_URL": "http://x", "SILLAGE_SECURE_COOKIES": "true"}, true},
	}
	for _, tt := range tests {
		c := Default()
		if err := c.FromEnv(env(tt.env)); err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.SecureCookies != tt.wantSecure {
			t.Errorf("%v: secure cookies %v, want %v", tt.env, c.SecureCookies, tt.wantSecure)
		}
	}
	c := Default()
	c.FromEnv(env(map[string]string{"SILLAGE_DATA_DIR": "/srv/s", "SILLAGE_API_TOKEN_DAYS": "30", "SILLAGE_METRICS_TOKEN": "jeton-secret-des-metriques"}))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.AuditKeyFile != "/srv/s/audit-key" || c.AuditSigningKeyFile != "/srv/s/audit-signing-key" || !c.DefaultAuditKeyCreate || c.APITokenLifetime != 30*24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	shown := ""
	for _, s := range c.Settings() {
		shown += s.Env + "=" + s.Value + "\n"
	}
	if strings.Contains(shown, "jeton-secret") || !strings.Contains(shown, "SILLAGE_API_TOKEN_DAYS=30 jours") || !strings.Contains(shown, "SILLAGE_METRICS_TOKEN=(masqué)") {
		t.Fatalf("settings:\n%s", shown)
	}
	// Settings read as words, never "20971520", "0.3" or "false".
	for _, want := range []string{"SILLAGE_MAX_UPLOAD=20 Mo\n", "SILLAGE_MAX_IMPORT=512 Mo\n", "SILLAGE_MIN_FREE_SPACE=1 Go\n",
		"SILLAGE_MASS_DEACTIVATION=30 %\n", "SILLAGE_SECURE_COOKIES=non\n", "SILLAGE_SESSION_IDLE=30 minutes\n",
		"SILLAGE_RETENTION_STUDENT_MONTHS=6 mois\n", "SILLAGE_CREDENTIAL_LIST_DAYS=7 jours\n"} {
		if !strings.Contains(shown, want) {
			t.Errorf("settings lack %q:\n%s", want, shown)
		}
	}
}

// TestUseDataDir: the key files placed in the data directory by default
// follow it to another folder (the demo's); a key file the operator named
// stays.
func TestUseDataDir(t *testing.T) {
	c := Default()
	c.AuditKeyFile = "/srv/cles/audit-key"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.UseDataDir("sillage-demo")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ got, want string }{
		{c.IDKeyFile, filepath.Join("sillage-demo", "id-key")},
		{c.AuditSigningKeyFile, filepath.Join("sillage-demo", "audit-signing-key")},
		{c.AuditKeyFile, "/srv/cles/audit-key"},
	} {
		if tt.got != tt.want {
			t.Errorf("key file %q, want %q", tt.got, tt.want)
		}
	}
	if !c.DefaultIDKeyCreate || c.DefaultAuditKeyCreate {
		t.Errorf("created by default: id key %v (want true), audit key %v (want false)", c.DefaultIDKeyCreate, c.DefaultAuditKeyCreate)
	}
}

// TestBlobS3: the object store is off by default, over HTTPS when set, its
// secret key never printed.
func TestBlobS3(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil || c.BlobS3() {
		t.Fatalf("default: S3 %v, %v", c.BlobS3(), err)
	}
	c = Default()
	if err := c.FromEnv(env(map[string]string{"SILLAGE_BLOB_S3_ENDPOINT": "s3.example.fr:443", "SILLAGE_BLOB_S3_BUCKET": "sillage",
		"SILLAGE_BLOB_S3_ACCESS_KEY": "AKIA", "SILLAGE_BLOB_S3_SECRET_KEY": "tres-secret"})); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.BlobS3() || !c.BlobS3TLS || c.BlobS3Bucket != "sillage" {
		t.Fatalf("config = %+v", c)
	}
	for _, s := range c.Settings() {
		if strings.Contains(s.Value, "tres-secret") {
			t.Fatalf("setting %q shows the secret key", s.Name)
		}
	}
}
