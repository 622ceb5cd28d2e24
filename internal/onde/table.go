package onde

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// table reads the rows of a CSV extraction after its header line.
type table struct {
	text   *textReader
	csv    *csv.Reader
	header []string // as written, trimmed
	keys   []string // headerKey of each column
}

func newTable(r io.Reader) (*table, error) {
	text, err := newTextReader(r)
	if err != nil {
		return nil, err
	}
	c := csv.NewReader(text)
	c.Comma = ';'
	c.FieldsPerRecord = -1 // checked per row: a short row is a reject, not a failure
	c.ReuseRecord = true
	t := &table{text: text, csv: c}
	header, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, invalidf("le fichier est vide : une ligne d'en-tête est attendue")
	}
	if err != nil {
		return nil, t.csvError(err)
	}
	// Empty names at the end of the header are a trailing ";" that the
	// rows may have or not: they are no columns.
	end := len(header)
	for end > 0 && strings.TrimSpace(header[end-1]) == "" {
		end--
	}
	for _, h := range header[:end] {
		t.header = append(t.header, strings.TrimSpace(h))
		t.keys = append(t.keys, headerKey(h))
	}
	return t, nil
}

// headerKey is how a header name is compared: trimmed, white space
// collapsed, lower case, without accents, typographic apostrophes made
// plain. "Prénom Elève", " prenom  élève" and "PRÉNOM ÉLÈVE" are the same.
func headerKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		case r == '’' || r == 'ʼ' || r == '`':
			r = '\''
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// column is a column a reader looks for.
type column struct {
	label    string   // as shown to the user in errors
	names    []string // accepted header names (any spelling headerKey folds)
	required bool
}

// locate returns the position of each column, -1 for an optional one that
// is absent. Missing required columns are listed in one error; a column
// present twice is an error too (which one would be meant?).
func (t *table) locate(cols []column, expected string) ([]int, error) {
	pos := make([]int, len(cols))
	var missing []string
	for i, c := range cols {
		pos[i] = -1
		for j, k := range t.keys {
			if !matches(k, c.names) {
				continue
			}
			if pos[i] >= 0 {
				return nil, invalidf("la colonne « %s » figure deux fois dans la ligne d'en-tête (colonnes %d et %d)", c.label, pos[i]+1, j+1)
			}
			pos[i] = j
		}
		if pos[i] < 0 && c.required {
			missing = append(missing, "« "+c.label+" »")
		}
	}
	if len(missing) > 0 {
		plural := "colonne obligatoire absente"
		if len(missing) > 1 {
			plural = "colonnes obligatoires absentes"
		}
		return nil, invalidf("%s de la ligne d'en-tête : %s. %s%s", plural, strings.Join(missing, ", "), expected, t.guess())
	}
	return pos, nil
}

func matches(key string, names []string) bool {
	for _, n := range names {
		if key == headerKey(n) {
			return true
		}
	}
	return false
}

// guess names the extraction the header looks like, for a user who picked
// the wrong one.
func (t *table) guess() string {
	has := func(name string) bool { return containsKey(t.keys, headerKey(name)) }
	switch {
	case has("Nom responsable"):
		return " Ce fichier ressemble à l'extraction des responsables."
	case has("Directeur"):
		return " Ce fichier ressemble à l'extraction des enseignants."
	case has("Nom élève"):
		return " Ce fichier ressemble à l'extraction des élèves."
	case len(t.keys) == 1:
		return " La ligne d'en-tête n'a qu'une colonne : le séparateur doit être le point-virgule."
	}
	return ""
}

func containsKey(keys []string, k string) bool {
	for _, key := range keys {
		if key == k {
			return true
		}
	}
	return false
}

// next returns the next row that is not blank, and its line in the file.
// It returns io.EOF after the last row.
func (t *table) next() (line int, rec []string, err error) {
	for {
		rec, err := t.csv.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, nil, io.EOF
			}
			return 0, nil, t.csvError(err)
		}
		line, _ := t.csv.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if blank(rec) {
			// A row of empty fields, as spreadsheets leave at the end.
			continue
		}
		return line, rec, nil
	}
}

func blank(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}

// short returns the reason to reject a row with fewer fields than the
// header, or "".
func (t *table) short(rec []string) string {
	if len(rec) >= len(t.header) {
		return ""
	}
	return fmt.Sprintf("la ligne a %d champs alors que la ligne d'en-tête en a %d (séparateur ou guillemet manquant ?)", len(rec), len(t.header))
}

func (t *table) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return invalidf("ligne %d, colonne %d : guillemet \" dans un champ qui n'est pas entre guillemets", pe.Line, pe.Column)
		case errors.Is(pe.Err, csv.ErrQuote):
			if pe.StartLine != pe.Line {
				return invalidf("ligne %d : guillemet non fermé (le champ commence ligne %d et court jusqu'à la ligne %d)", pe.StartLine, pe.StartLine, pe.Line)
			}
			return invalidf("ligne %d, colonne %d : guillemet \" mal placé dans un champ entre guillemets", pe.Line, pe.Column)
		}
		return invalidf("ligne %d : ligne CSV illisible", pe.Line)
	}
	return readError(err)
}

// field returns the trimmed value at pos, "" when the column is absent or
// the row too short.
func field(rec []string, pos int) string {
	if pos < 0 || pos >= len(rec) {
		return ""
	}
	return rec[pos]
}
