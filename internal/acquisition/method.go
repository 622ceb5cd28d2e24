// Package acquisition turns a learning record's results into states of
// acquisition: per competence and per domain, for a student and for a
// class, over a period, the school year or the whole schooling (results
// received by transfer included). The establishment chooses how results
// combine (last result, mean of the last N, weighted mean of the last N);
// every page, file and chart says which method was used.
//
// The computing functions are pure over domain types; For* load through
// the store and check the reach of who asks (privacy.md).
package acquisition

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
)

// MethodSetting is the establishment setting holding the method, as
// Method.String gives it ("last", "mean:4", "weighted:4").
const MethodSetting = "acquisition.method"

// AuditMethodChanged is the audit action of a change of method.
const AuditMethodChanged = "settings.acquisition"

// Kind is how results combine into a state.
type Kind string

const (
	Last     Kind = "last"     // the most recent result
	Mean     Kind = "mean"     // the mean of the last N results
	Weighted Kind = "weighted" // the mean of the last N, the most recent weighing N, the oldest 1
)

// MaxN bounds N: beyond a dozen results the mean stops following the
// student's progress.
const MaxN = 12

// Method is an establishment's choice.
type Method struct {
	Kind Kind
	N    int // results taken into account (Mean, Weighted); 1 for Last
}

// DefaultMethod is used until the establishment chooses.
func DefaultMethod() Method { return Method{Kind: Weighted, N: 4} }

// String is the stored form.
func (m Method) String() string {
	if m.Kind == Last {
		return string(Last)
	}
	return string(m.Kind) + ":" + strconv.Itoa(m.N)
}

// ParseMethod reads a stored method, or the choice of a form: kind and N.
func ParseMethod(s string) (Method, error) {
	kind, n, _ := strings.Cut(strings.TrimSpace(s), ":")
	return NewMethod(kind, n)
}

// NewMethod checks a kind and a count typed in a form.
func NewMethod(kind, n string) (Method, error) {
	switch Kind(kind) {
	case Last:
		return Method{Kind: Last, N: 1}, nil
	case Mean, Weighted:
		v, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || v < 2 || v > MaxN {
			return Method{}, sillage.Errorf(sillage.KindInvalid, "le nombre de résultats pris en compte va de 2 à %d (reçu : %q)", MaxN, n)
		}
		return Method{Kind: Kind(kind), N: v}, nil
	}
	return Method{}, sillage.Errorf(sillage.KindInvalid, "méthode de calcul %q inconnue : dernier résultat, moyenne ou moyenne pondérée", kind)
}

// Label says the method in French, as the pages and bilans state it.
func (m Method) Label() string {
	switch m.Kind {
	case Mean:
		return fmt.Sprintf("moyenne des %d derniers résultats", m.N)
	case Weighted:
		return fmt.Sprintf("moyenne pondérée des %d derniers résultats (le plus récent compte %d fois, le plus ancien une fois)", m.N, m.N)
	}
	return "dernier résultat"
}
