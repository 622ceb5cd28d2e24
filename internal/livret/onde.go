package livret

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/onde"
)

// ondeIndex is the ONDE extraction given with a 1st-degree export, indexed
// to find each student's INE and class. It lives for one export: the INEs
// go into the model (masked everywhere but in the file) and nowhere else.
type ondeIndex struct {
	byName   map[string][]onde.Pupil // folded last name, first name, birth date
	byClass  map[string][]string     // folded class label → class ids
	classIDs []string
}

// fold compares names and labels: upper case, no accents, single spaces.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.Map(func(r rune) rune {
		if r == '-' || r == '\'' || r == '’' {
			return ' '
		}
		return r
	}, out)
	return strings.Join(strings.Fields(strings.ToUpper(out)), " ")
}

func nameKey(last, first string, birth sillage.Date) string {
	return fold(last) + "\x00" + fold(first) + "\x00" + birth.String()
}

func indexONDE(f *onde.PupilsFile) (*ondeIndex, error) {
	if f.Format == onde.FormatBE1D {
		return nil, ErrBE1D
	}
	ix := &ondeIndex{byName: map[string][]onde.Pupil{}, byClass: map[string][]string{}}
	seen := map[string]bool{}
	for _, p := range f.Pupils {
		birth := sillage.DateOf(p.BirthDate)
		ix.byName[nameKey(p.LastName, p.FirstName, birth)] = append(ix.byName[nameKey(p.LastName, p.FirstName, birth)], p)
		if p.UsageName != "" && fold(p.UsageName) != fold(p.LastName) {
			k := nameKey(p.UsageName, p.FirstName, birth)
			ix.byName[k] = append(ix.byName[k], p)
		}
		id := strings.TrimSpace(p.ClassID)
		if id == "" {
			continue
		}
		label := fold(p.ClassLabel)
		if !containsStr(ix.byClass[label], id) {
			ix.byClass[label] = append(ix.byClass[label], id)
		}
		if !seen[id] {
			seen[id] = true
			ix.classIDs = append(ix.classIDs, id)
		}
	}
	if len(f.Pupils) == 0 {
		return nil, sillage.Errorf(sillage.KindInvalid, "le fichier ONDE ne contient aucun élève : déposez l'extraction de tous les élèves de l'école")
	}
	return ix, nil
}

func containsStr(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// inClass reports whether an ONDE pupil's class is the Sillage division:
// the ONDE import names divisions by the ONDE class id and labels them with
// the class label; a division typed otherwise matches by label.
func inClass(p onde.Pupil, d sillage.Division) bool {
	if id := strings.TrimSpace(p.ClassID); id != "" && id == d.Code {
		return true
	}
	l := fold(p.ClassLabel)
	return l != "" && (l == fold(d.Label) || l == fold(d.Code))
}

// match finds the ONDE pupil of a student: same name (or name in use),
// first name and birth date, in the same class. Two candidates match none.
func (ix *ondeIndex) match(s sillage.Student, d sillage.Division) (onde.Pupil, bool) {
	var found []onde.Pupil
	for _, p := range ix.byName[nameKey(s.LastName, s.FirstName, s.BirthDate)] {
		if inClass(p, d) && !containsPupil(found, p) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return onde.Pupil{}, false
	}
	return found[0], true
}

func containsPupil(list []onde.Pupil, p onde.Pupil) bool {
	for _, q := range list {
		if q.Row == p.Row {
			return true
		}
	}
	return false
}

// classOf returns the ONDE class id of a division: its code when it is
// numeric (the ONDE import's convention), else the one class id the file
// gives to pupils of that label.
func (ix *ondeIndex) classOf(d sillage.Division) string {
	code := strings.TrimSpace(d.Code)
	if code != "" && strings.Trim(code, "0123456789") == "" {
		return code
	}
	for _, label := range []string{fold(d.Label), fold(d.Code)} {
		if ids := ix.byClass[label]; len(ids) == 1 {
			return ids[0]
		}
	}
	return ""
}

// fill completes a 1st-degree student of the model: INE, class id and
// label, level. A student the file does not hold keeps no INE, and lsu
// blocks their reports with the reason.
func (ix *ondeIndex) fill(ls *lsu.Student, s sillage.Student, d sillage.Division) {
	ls.ClassID = ix.classOf(d)
	ls.ClassLabel = firstNonEmpty(d.Label, d.Code)
	p, ok := ix.match(s, d)
	if !ok {
		return
	}
	ls.INE = p.INE
	if ls.ClassID == "" {
		ls.ClassID = strings.TrimSpace(p.ClassID)
	}
	if p.ClassLabel != "" {
		ls.ClassLabel = p.ClassLabel
	}
	if p.Level != "" {
		ls.Level = p.Level
	}
}

// levelMatches reports whether a 1st-degree student is of a level, as the
// ONDE file says.
func (ix *ondeIndex) levelMatches(s sillage.Student, d sillage.Division, level string) bool {
	if ix == nil {
		return false
	}
	p, ok := ix.match(s, d)
	return ok && normLevel(p.Level) == normLevel(level)
}
