package ident

import (
	"slices"
	"strconv"
	"strings"
)

// FederationLabel is what a federation hash is the HMAC of, before the
// normalised INE.
const FederationLabel = "sillage-federation-ine"

// FederationHashes returns the federation hash of ine under every version
// of the federation key kr (distributed by the federation's operator, the
// same at every instance), newest first:
// "f<version>:" + base32(HMAC-SHA256(K_fed_v, FederationLabel ‖ 0 ‖ INE)).
// Unlike an unqid it is the same at every instance of the federation, so
// it is the only identifier that crosses instances; it never equals an
// unqid (other key, other label, other prefix).
func (kr Keyring) FederationHashes(ine INE) ([]string, error) {
	if len(kr.keys) == 0 {
		return nil, ErrNoKey
	}
	norm, _, err := ine.Check()
	if err != nil {
		return nil, err
	}
	versions := kr.Versions()
	slices.Sort(versions)
	out := make([]string, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		sum, _ := kr.MAC(versions[i], FederationLabel, []byte(norm.Value()))
		out = append(out, "f"+strconv.Itoa(versions[i])+":"+unqidEncoding.EncodeToString(sum))
	}
	return out, nil
}

// FederationHashVersion returns the federation key version a federation
// hash was computed with.
func FederationHashVersion(h string) (int, bool) {
	prefix, rest, ok := strings.Cut(h, ":")
	if !ok || rest == "" || len(prefix) < 2 || prefix[0] != 'f' {
		return 0, false
	}
	v, err := strconv.Atoi(prefix[1:])
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}
