// Package federation holds what an instance says about itself to the
// other Sillage instances of a federation, and what it knows of them
// (docs/federation.md): its signed description (identifier, public URL,
// federation endpoint, public keys, the establishments it serves), and the
// peers the operator declared, each with the fingerprint of the key
// expected to sign its description. Nothing is fetched from, or accepted
// of, an instance that is not a declared peer.
package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
)

// PurposeDescription is what an instance's description is signed for.
const PurposeDescription = "federation-description"

// DescriptionPath is where an instance publishes its description.
const DescriptionPath = "/federation/description"

// EndpointPath is the federation endpoint an instance announces (the
// protocol's messages are posted under it).
const EndpointPath = "/federation"

// MaxDescription bounds a fetched description (bytes).
const MaxDescription = 1 << 20

// Actions recorded in the instance's journal.
const (
	PeerAdded   = "federation.peer_added"
	PeerRemoved = "federation.peer_removed"
)

// Description is what an instance vouches for about itself.
type Description struct {
	InstanceID string              `json:"instance_id"`
	PublicURL  string              `json:"public_url"`
	Endpoint   string              `json:"endpoint"`
	Keys       []signing.PublicKey `json:"keys"` // the signing key first
	UAIs       []sillage.UAI       `json:"uais"` // establishments with transfers enabled
	IssuedAt   time.Time           `json:"issued_at"`
}

// Signed is a description as published: the envelope signed by the
// newest key, and the same payload signed by every older key held
// (Endorsements), so that a peer that pinned an older key still accepts
// it after a rotation.
type Signed struct {
	signing.Envelope
	Endorsements []signing.Signature `json:"endorsements,omitempty"`
}

// NormalizeURL checks a peer's or the instance's public URL: absolute,
// https (http only for a loopback address, in tests and demos), no query,
// no trailing slash.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", sillage.Errorf(sillage.KindInvalid, "adresse d'instance invalide : %q (attendu : https://nom.de.domaine)", raw)
	}
	host := u.Hostname()
	loopback := host == "localhost" || host == "127.0.0.1" || host == "::1"
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback) {
		return "", sillage.Errorf(sillage.KindInvalid, "adresse d'instance invalide : %q (https obligatoire)", raw)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// Describe builds and signs the instance's description now (tx's clock).
// publicURL is the instance's SILLAGE_BASE_URL ("" : the description says
// none, and peers cannot reach it).
func Describe(ctx context.Context, tx *store.Tx, s *signing.Signer, publicURL string) (Signed, Description, error) {
	if s == nil {
		return Signed{}, Description{}, sillage.Errorf(sillage.KindUnavailable, "clé de signature de l'instance absente")
	}
	id, err := tx.Federation().InstanceID(ctx)
	if err != nil {
		return Signed{}, Description{}, err
	}
	ests, err := tx.Establishments().ListEstablishments(ctx)
	if err != nil {
		return Signed{}, Description{}, err
	}
	d := Description{InstanceID: id, Keys: s.PublicKeys(), UAIs: []sillage.UAI{}, IssuedAt: tx.Now().UTC()}
	if publicURL != "" {
		if d.PublicURL, err = NormalizeURL(publicURL); err != nil {
			return Signed{}, Description{}, err
		}
		d.Endpoint = d.PublicURL + EndpointPath
	}
	for _, e := range ests {
		if e.Transfer.Enabled {
			d.UAIs = append(d.UAIs, e.UAI)
		}
	}
	slices.Sort(d.UAIs)
	env, err := s.Seal(PurposeDescription, d)
	if err != nil {
		return Signed{}, Description{}, err
	}
	out := Signed{Envelope: env}
	for _, sig := range s.SignAll(PurposeDescription, env.Payload) {
		if sig.KeyID != env.Signature.KeyID {
			out.Endorsements = append(out.Endorsements, sig)
		}
	}
	return out, d, nil
}

// trusted are the key fingerprints a peer's description may be signed by:
// the pinned one, and those its last verified description listed.
func trusted(p sillage.FederationPeer) []string {
	ids := []string{strings.ToLower(p.Fingerprint)}
	if p.Description != nil {
		var last Signed
		var d Description
		if json.Unmarshal(p.Description, &last) == nil && json.Unmarshal(last.Payload, &d) == nil {
			for _, k := range d.Keys {
				ids = append(ids, k.ID)
			}
		}
	}
	return ids
}

// VerifyDescription checks raw (a published Signed description) as the
// description of peer p: signed by a trusted key (the pinned fingerprint,
// or a key of p's last verified description), the key being one the
// description itself lists, and naming p's own URL.
func VerifyDescription(p sillage.FederationPeer, raw []byte) (Description, error) {
	var sd Signed
	if err := json.Unmarshal(raw, &sd); err != nil {
		return Description{}, sillage.Errorf(sillage.KindInvalid, "description illisible : ce n'est pas une description signée d'instance Sillage")
	}
	if sd.Purpose != PurposeDescription {
		return Description{}, sillage.Errorf(sillage.KindInvalid, "message de type « %s » reçu où une description d'instance était attendue", sd.Purpose)
	}
	var claimed Description
	if err := json.Unmarshal(sd.Payload, &claimed); err != nil {
		return Description{}, sillage.Errorf(sillage.KindInvalid, "description illisible")
	}
	// Only keys the description lists, and whose identifier is their
	// fingerprint, may verify it.
	var listed []signing.PublicKey
	for _, k := range claimed.Keys {
		if len(k.Key) == 32 && signing.Fingerprint(k.Key) == k.ID {
			listed = append(listed, k)
		}
	}
	ok := trusted(p)
	var lastErr error = sillage.Errorf(sillage.KindForbidden,
		"description signée par une clé non épinglée : l'empreinte déclarée pour %s est %s", p.BaseURL, signing.Short(p.Fingerprint))
	var d Description
	for _, sig := range append([]signing.Signature{sd.Signature}, sd.Endorsements...) {
		if !slices.Contains(ok, sig.KeyID) {
			continue
		}
		if err := signing.Verify(listed, PurposeDescription, sd.Payload, sig); err != nil {
			lastErr = err
			continue
		}
		if err := json.Unmarshal(sd.Payload, &d); err != nil {
			return Description{}, sillage.Errorf(sillage.KindInvalid, "description illisible")
		}
		if d.PublicURL != p.BaseURL {
			return Description{}, sillage.Errorf(sillage.KindInvalid, "la description reçue de %s est celle de %q", p.BaseURL, d.PublicURL)
		}
		// The peer's keys are those that signed this description: a key
		// listed without its signature (another instance's, say) would
		// let its messages pass for this peer's.
		d.Keys = signedBy(listed, sd)
		return d, nil
	}
	return Description{}, lastErr
}

// Fetch gets a declared peer's description over client, verifies it and
// stores it; a failure is stored as the peer's last error (the last
// verified description stays) and returned.
func Fetch(ctx context.Context, client *http.Client, st *store.Store, peerID int64) (Description, error) {
	var p sillage.FederationPeer
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { p, err = tx.Federation().GetPeer(ctx, peerID); return err }); err != nil {
		return Description{}, err
	}
	d, raw, err := FetchDescription(ctx, client, p)
	werr := st.Write(ctx, func(tx *store.Tx) error {
		if err != nil {
			return tx.Federation().SetPeerError(ctx, p.ID, sillage.Message(err))
		}
		return tx.Federation().SetPeerDescription(ctx, p.ID, raw)
	})
	if err != nil {
		return Description{}, err
	}
	return d, werr
}

// FetchDescription gets peer p's published description over client and
// verifies it (VerifyDescription); it stores nothing. It returns the
// description and its bytes as received.
func FetchDescription(ctx context.Context, client *http.Client, p sillage.FederationPeer) (Description, []byte, error) {
	if p.ID == 0 || p.BaseURL == "" || p.Fingerprint == "" {
		return Description{}, nil, sillage.Errorf(sillage.KindForbidden, "instance non déclarée : rien n'est échangé avec elle")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+DescriptionPath, nil)
	if err != nil {
		return Description{}, nil, sillage.Errorf(sillage.KindInvalid, "adresse de %s invalide", p.Name)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return Description{}, nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("instance %s injoignable", p.BaseURL))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Description{}, nil, sillage.Errorf(sillage.KindUnavailable, "instance %s : réponse %d à la demande de description", p.BaseURL, resp.StatusCode)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxDescription+1))
	if err != nil {
		return Description{}, nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("instance %s : description interrompue", p.BaseURL))
	}
	if len(raw) > MaxDescription {
		return Description{}, nil, sillage.Errorf(sillage.KindInvalid, "instance %s : description de plus de %s", p.BaseURL, sillage.FormatSize(MaxDescription))
	}
	d, err := VerifyDescription(p, raw)
	if err != nil {
		return Description{}, nil, err
	}
	return d, raw, nil
}

// LastDescription returns a peer's last verified description (ok false
// when none was fetched).
func LastDescription(p sillage.FederationPeer) (Description, bool) {
	if p.Description == nil {
		return Description{}, false
	}
	var sd Signed
	var d Description
	if json.Unmarshal(p.Description, &sd) != nil || json.Unmarshal(sd.Payload, &d) != nil {
		return Description{}, false
	}
	return d, true
}

// AddPeer declares a peer (audited in the instance's journal).
func AddPeer(ctx context.Context, st *store.Store, name, baseURL, fingerprint string, who audit.Actor) (sillage.FederationPeer, error) {
	u, err := NormalizeURL(baseURL)
	if err != nil {
		return sillage.FederationPeer{}, err
	}
	fp := strings.ToLower(strings.Join(strings.Fields(strings.ReplaceAll(fingerprint, ":", "")), ""))
	if len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "" {
		return sillage.FederationPeer{}, sillage.Errorf(sillage.KindInvalid, "empreinte de clé invalide : 64 chiffres hexadécimaux attendus (celle qu'affiche « sillage federation describe » sur l'instance partenaire)")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = u
	}
	var p sillage.FederationPeer
	err = st.Write(ctx, func(tx *store.Tx) error {
		if p, err = tx.Federation().AddPeer(ctx, sillage.FederationPeer{Name: name, BaseURL: u, Fingerprint: fp}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "", who, PeerAdded, u, fmt.Sprintf("instance partenaire « %s », clé %s", name, signing.Short(fp)))
	})
	return p, err
}

// RemovePeer forgets a declared peer (audited).
func RemovePeer(ctx context.Context, st *store.Store, id int64, who audit.Actor) (sillage.FederationPeer, error) {
	var p sillage.FederationPeer
	err := st.Write(ctx, func(tx *store.Tx) (err error) {
		if p, err = tx.Federation().GetPeer(ctx, id); err != nil {
			return err
		}
		if err := tx.Federation().RemovePeer(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "", who, PeerRemoved, p.BaseURL, fmt.Sprintf("instance partenaire « %s » retirée", p.Name))
	})
	return p, err
}

// FindPeer returns the declared peer named by ref: its number, or its URL.
func FindPeer(ctx context.Context, st *store.Store, ref string) (sillage.FederationPeer, error) {
	var peers []sillage.FederationPeer
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { peers, err = tx.Federation().ListPeers(ctx); return err }); err != nil {
		return sillage.FederationPeer{}, err
	}
	norm, _ := NormalizeURL(ref)
	for _, p := range peers {
		if fmt.Sprint(p.ID) == strings.TrimSpace(ref) || p.BaseURL == norm {
			return p, nil
		}
	}
	return sillage.FederationPeer{}, sillage.Errorf(sillage.KindNotFound, "aucune instance partenaire déclarée n'est « %s »", ref)
}

// IsUndeclared reports a refusal for an instance that is not a peer.
func IsUndeclared(err error) bool { return errors.Is(err, sillage.ErrForbidden) }

// signedBy keeps the keys of listed whose signature of the description is
// among its signature and endorsements.
func signedBy(listed []signing.PublicKey, sd Signed) []signing.PublicKey {
	var out []signing.PublicKey
	for _, k := range listed {
		for _, sig := range append([]signing.Signature{sd.Signature}, sd.Endorsements...) {
			if sig.KeyID == k.ID && signing.Verify([]signing.PublicKey{k}, PurposeDescription, sd.Payload, sig) == nil {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
