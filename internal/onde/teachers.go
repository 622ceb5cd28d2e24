package onde

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Teacher is one row of the teachers extraction (CSVExtraction-enseignants.csv).
type Teacher struct {
	Row       int
	Civility  string // "Civilité": "M.", "MME"
	UsageName string // "Nom usage"
	LastName  string // "Nom"
	FirstName string // "Prénom"
	Email     string // "Courriel"
	Director  bool   // "Directeur": oui or non; the director is the head of the school
	Class     string // "Classe": the class label, as in the pupils file
}

// Name is "NOM Prénom", with the name in use.
func (t Teacher) Name() string {
	if t.UsageName != "" {
		return fullName(t.UsageName, t.FirstName)
	}
	return fullName(t.LastName, t.FirstName)
}

// TeachersHandler receives a teachers extraction row by row; it works as
// PupilsHandler does.
type TeachersHandler struct {
	Teacher func(Teacher) error
	Reject  func(Reject) error
}

var teacherColumns = []column{
	{label: "Civilité", names: []string{"Civilité"}},
	{label: "Nom usage", names: []string{"Nom usage", "Nom d'usage"}},
	{label: "Nom", names: []string{"Nom"}, required: true},
	{label: "Prénom", names: []string{"Prénom"}, required: true},
	{label: "Courriel", names: []string{"Courriel"}},
	{label: "Directeur", names: []string{"Directeur"}, required: true},
	{label: "Classe", names: []string{"Classe"}, required: true},
}

const teachersFile = "Le fichier attendu est l'extraction des enseignants (CSVExtraction-enseignants.csv)."

// DecodeTeachers reads a teachers extraction from r and hands each row to h.
func DecodeTeachers(r io.Reader, h TeachersHandler) error {
	t, err := newTable(r)
	if err != nil {
		return err
	}
	pos, err := t.locate(teacherColumns, teachersFile)
	if err != nil {
		return err
	}
	for {
		line, rec, err := t.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		tc := Teacher{
			Row:       line,
			Civility:  field(rec, pos[0]),
			UsageName: field(rec, pos[1]),
			LastName:  field(rec, pos[2]),
			FirstName: field(rec, pos[3]),
			Email:     field(rec, pos[4]),
			Class:     field(rec, pos[6]),
		}
		var problems []string
		if reason := t.short(rec); reason != "" {
			problems = append(problems, reason)
		}
		if tc.LastName == "" && tc.UsageName == "" {
			problems = append(problems, "nom absent")
		}
		switch d := strings.ToLower(field(rec, pos[5])); d {
		case "oui":
			tc.Director = true
		case "non", "":
		default:
			problems = append(problems, fmt.Sprintf("Directeur %q : oui ou non attendu", d))
		}
		if len(problems) > 0 {
			err = reject(h.Reject, Reject{Row: line, Name: tc.Name(), Reason: strings.Join(problems, " ; ")})
		} else {
			err = call(h.Teacher, tc)
		}
		if err != nil {
			return err
		}
	}
}

// TeachersFile is a whole teachers extraction in memory.
type TeachersFile struct {
	Teachers []Teacher
	Rejects  []Reject
}

// ReadTeachers reads a whole teachers extraction into memory.
func ReadTeachers(r io.Reader) (*TeachersFile, error) {
	f := &TeachersFile{}
	err := DecodeTeachers(r, TeachersHandler{
		Teacher: func(t Teacher) error { f.Teachers = append(f.Teachers, t); return nil },
		Reject:  func(r Reject) error { f.Rejects = append(f.Rejects, r); return nil },
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
