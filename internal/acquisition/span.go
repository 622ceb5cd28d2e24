package acquisition

import (
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// Span is the stretch of time results are taken from.
type Span struct {
	Key      string // "annee", "scolarite" or "p<period id>"
	Label    string // as a sentence ends: "l'année scolaire 2025-2026"
	From, To sillage.Date
}

// Keys of the spans that are not periods.
const (
	SpanYear  = "annee"
	SpanWhole = "scolarite"
)

// Spans lists the choices of the period selector: the school year, its
// periods, the whole schooling (with the records received by transfer).
func Spans(year sillage.SchoolYear, periods []sillage.Period) []Span {
	out := []Span{{Key: SpanYear, Label: "l'année scolaire " + year.String(),
		From: sillage.NewDate(int(year), time.August, 1), To: sillage.NewDate(int(year)+1, time.July, 31)}}
	for _, p := range periods {
		if p.SchoolYear != year {
			continue
		}
		out = append(out, Span{Key: "p" + strconv.FormatInt(p.ID, 10),
			Label: strings.ToLower(p.Label()[:1]) + p.Label()[1:] + " " + year.String() + " (du " + p.Start.French() + " au " + p.End.French() + ")",
			From:  p.Start, To: p.End})
	}
	return append(out, Span{Key: SpanWhole, Label: "toute la scolarité (y compris les livrets reçus par transfert)"})
}

// PickSpan returns the span of key among the choices; "" is the school
// year. An unknown key is an error a person can read.
func PickSpan(choices []Span, key string) (Span, error) {
	if key == "" {
		key = SpanYear
	}
	for _, s := range choices {
		if s.Key == key {
			return s, nil
		}
	}
	return Span{}, sillage.Errorf(sillage.KindInvalid, "période %q inconnue : choisissez l'année, une de ses périodes ou toute la scolarité", key)
}
