package sso

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFile(t *testing.T) {
	tests := []struct {
		name, json, wantErr string
		want                int
	}{
		{name: "trois protocoles", want: 3, json: `{"providers":[
			{"id":"ent","protocol":"cas","label":"l'ENT","cas_url":"https://ent.example/cas"},
			{"id":"educonnect","protocol":"saml","saml_idp_metadata_url":"https://idp.example/md","saml_key_file":"k","saml_cert_file":"c"},
			{"id":"portail","protocol":"oidc","oidc_issuer":"https://op.example","oidc_client_id":"sillage"}]}`},
		{name: "aucun", json: `{"providers":[]}`, want: 0},
		{name: "protocole inconnu", json: `{"providers":[{"id":"x","protocol":"ldap"}]}`, wantErr: `protocole "ldap" inconnu`},
		{name: "identifiant invalide", json: `{"providers":[{"id":"ENT 1","protocol":"cas","cas_url":"u"}]}`, wantErr: "minuscules"},
		{name: "doublon", json: `{"providers":[{"id":"a","protocol":"cas","cas_url":"u"},{"id":"a","protocol":"cas","cas_url":"u"}]}`, wantErr: "en double"},
		{name: "CAS sans adresse", json: `{"providers":[{"id":"a","protocol":"cas"}]}`, wantErr: `"cas_url" manque`},
		{name: "SAML sans clé", json: `{"providers":[{"id":"a","protocol":"saml","saml_idp_metadata_file":"m","saml_cert_file":"c"}]}`, wantErr: `"saml_key_file" manque`},
		{name: "OIDC sans client", json: `{"providers":[{"id":"a","protocol":"oidc","oidc_issuer":"i"}]}`, wantErr: `"oidc_client_id" manque`},
		{name: "clé inconnue", json: `{"providers":[{"id":"a","protocol":"cas","cas_url":"u","casurl":"v"}]}`, wantErr: "JSON invalide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sso.json")
			if err := os.WriteFile(path, []byte(tt.json), 0o600); err != nil {
				t.Fatal(err)
			}
			ps, err := LoadFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(ps) != tt.want {
				t.Fatalf("%d providers, %v", len(ps), err)
			}
		})
	}
}
