// Package sso signs people in through the identity providers French
// schools use (docs/sso.md): an ENT's or académie's CAS 3.0 server,
// ÉduConnect and other SAML 2.0 identity providers, OpenID Connect
// providers. The providers are configured for the instance (a JSON file,
// SILLAGE_SSO_FILE) and enabled per establishment by the operator.
//
// An identity is linked to a person by identifiers Sillage already holds:
// the AAF join id (ENTPersonJointure), the keyed hash of a student's INE
// computed on the spot (the INE itself is never stored, logged or shown),
// a parent's legal guardianship of those students. Nobody, or more than
// one person, is a refusal; no account is ever created here.
package sso

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/sillage/sillage"
)

// Protocols.
const (
	CAS  = "cas"
	SAML = "saml"
	OIDC = "oidc"
)

// Provider is one identity provider of the instance, as the configuration
// file declares it.
type Provider struct {
	ID       string `json:"id"`       // lower-case letters, digits, dashes: in URLs and the database
	Protocol string `json:"protocol"` // cas, saml or oidc
	Label    string `json:"label"`    // the button: "Se connecter avec …"

	// CAS: the server's base URL (…/cas), to which /login,
	// /p3/serviceValidate and /logout are appended.
	CASURL string `json:"cas_url,omitempty"`

	// SAML: the identity provider's metadata (a file, or a URL read at
	// start), and this service provider's key pair (PEM files).
	SAMLIdPMetadataFile string `json:"saml_idp_metadata_file,omitempty"`
	SAMLIdPMetadataURL  string `json:"saml_idp_metadata_url,omitempty"`
	SAMLKeyFile         string `json:"saml_key_file,omitempty"`
	SAMLCertFile        string `json:"saml_cert_file,omitempty"`

	// OpenID Connect: the issuer (discovery at <issuer>/.well-known/openid-configuration),
	// the client id and the file holding the client secret.
	OIDCIssuer           string   `json:"oidc_issuer,omitempty"`
	OIDCClientID         string   `json:"oidc_client_id,omitempty"`
	OIDCClientSecretFile string   `json:"oidc_client_secret_file,omitempty"`
	OIDCScopes           []string `json:"oidc_scopes,omitempty"`

	// Attributes (CAS attributes, SAML attribute names or friendly
	// names, OpenID Connect claims) carrying what Sillage matches on.
	Attributes Attributes `json:"attributes"`
}

// Attributes name the attributes read from the provider. Empty names take
// the defaults of the protocol (see withDefaults).
type Attributes struct {
	Subject     string `json:"subject,omitempty"`     // stable id of the user ("" : CAS user, SAML NameID, OIDC sub)
	Jointure    string `json:"jointure,omitempty"`    // AAF join id: ENTPersonJointure
	INE         string `json:"ine,omitempty"`         // ÉduConnect: FrEduCtEleveINE (a student's own, or a parent's children's)
	Affiliation string `json:"affiliation,omitempty"` // ÉduConnect: FrEduCtPersonAffiliation (eleve…, resp…)
	LastName    string `json:"last_name,omitempty"`   // sn
	FirstName   string `json:"first_name,omitempty"`  // givenName
}

func (p Provider) withDefaults() Provider {
	a := &p.Attributes
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&a.Jointure, "ENTPersonJointure")
	def(&a.INE, "FrEduCtEleveINE")
	def(&a.Affiliation, "FrEduCtPersonAffiliation")
	def(&a.LastName, "sn")
	def(&a.FirstName, "givenName")
	if p.Protocol == OIDC && len(p.OIDCScopes) == 0 {
		p.OIDCScopes = []string{"openid", "profile"}
	}
	if p.Label == "" {
		p.Label = p.ID
	}
	return p
}

var providerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// File is the configuration file's shape.
type File struct {
	Providers []Provider `json:"providers"`
}

// LoadFile reads the providers of the instance from a JSON file; the
// error says what is wrong in French.
func LoadFile(path string) ([]Provider, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "fichier des fournisseurs d'identité illisible (%s) : %v", path, err)
	}
	var f File
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, sillage.Errorf(sillage.KindInvalid, "fichier des fournisseurs d'identité %s : JSON invalide : %v", path, err)
	}
	if err := Validate(f.Providers); err != nil {
		return nil, err
	}
	return f.Providers, nil
}

// Validate checks a list of providers: ids unique and well formed, each
// protocol's settings present.
func Validate(ps []Provider) error {
	seen := map[string]bool{}
	for i, p := range ps {
		name := fmt.Sprintf("fournisseur n° %d (%q)", i+1, p.ID)
		if !providerID.MatchString(p.ID) {
			return sillage.Errorf(sillage.KindInvalid, "%s : l'identifiant doit être fait de minuscules, chiffres et tirets (32 au plus)", name)
		}
		if seen[p.ID] {
			return sillage.Errorf(sillage.KindInvalid, "%s : identifiant en double", name)
		}
		seen[p.ID] = true
		missing := func(field string) error {
			return sillage.Errorf(sillage.KindInvalid, "%s : le réglage %q manque", name, field)
		}
		switch p.Protocol {
		case CAS:
			if p.CASURL == "" {
				return missing("cas_url")
			}
		case SAML:
			if p.SAMLIdPMetadataFile == "" && p.SAMLIdPMetadataURL == "" {
				return missing("saml_idp_metadata_file")
			}
			if p.SAMLKeyFile == "" {
				return missing("saml_key_file")
			}
			if p.SAMLCertFile == "" {
				return missing("saml_cert_file")
			}
		case OIDC:
			if p.OIDCIssuer == "" {
				return missing("oidc_issuer")
			}
			if p.OIDCClientID == "" {
				return missing("oidc_client_id")
			}
		default:
			return sillage.Errorf(sillage.KindInvalid, "%s : protocole %q inconnu (cas, saml ou oidc)", name, p.Protocol)
		}
	}
	return nil
}

// ProtocolLabel names a protocol for people.
func ProtocolLabel(protocol string) string {
	switch protocol {
	case CAS:
		return "CAS"
	case SAML:
		return "SAML 2.0"
	case OIDC:
		return "OpenID Connect"
	}
	return protocol
}
