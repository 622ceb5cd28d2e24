package records

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/sillage/sillage"
)

// The records JSON format (docs/records-json.md). Every value a person
// reads or writes is a string (dates too), so that a wrong value is
// reported with its position instead of failing the whole file.
//
// Version 2 added the per-competence results of sheets
// (fiches[].evaluation.competences); an import reads versions 1 and 2,
// and a Sillage that reads only version 1 refuses a version 2 file
// instead of dropping those results.
const (
	FormatName    = "sillage-livrets"
	FormatVersion = 2
	// MinFormatVersion is the oldest version an import still reads.
	MinFormatVersion = 1
	// ReferentialVersion is the version of the referential format.
	ReferentialVersion = 1
)

// File is a records JSON document: students matched by their SIECLE
// ELEVE_ID, each with their evaluations and sheets.
type File struct {
	Format        string        `json:"format"`
	Version       int           `json:"version"`
	UAI           string        `json:"uai,omitempty"`
	Establishment string        `json:"etablissement,omitempty"`
	ExportedAt    string        `json:"exporte_le,omitempty"`
	Scale         []Level       `json:"echelle,omitempty"`
	Referentials  []Referential `json:"referentiels,omitempty"`
	Students      []Student     `json:"eleves"`
}

// Level is a level of the result scale.
type Level struct {
	Code   string `json:"code"`
	Label  string `json:"libelle"`
	Points int    `json:"points"`
}

// Referential describes a diploma's competences (informative on import).
type Referential struct {
	Diploma     string       `json:"diplome"`
	Kind        string       `json:"type"`
	Label       string       `json:"libelle"`
	Competences []Competence `json:"competences"`
}

// Competence is a competence of a referential.
type Competence struct {
	Domain string `json:"domaine,omitempty"`
	Code   string `json:"code"`
	Label  string `json:"libelle"`
}

// Student is one student's record.
type Student struct {
	EleveID     string       `json:"eleve_id,omitempty"`
	LastName    string       `json:"nom,omitempty"`
	FirstName   string       `json:"prenom,omitempty"`
	BirthDate   string       `json:"date_naissance,omitempty"`
	Division    string       `json:"division,omitempty"`
	Diploma     string       `json:"diplome,omitempty"`
	Evaluations []Evaluation `json:"evaluations,omitempty"`
	Sheets      []Sheet      `json:"fiches,omitempty"`
}

// Evaluation is an evaluation with this student's results and comment.
type Evaluation struct {
	Key      string   `json:"cle,omitempty"`
	Title    string   `json:"titre"`
	Date     string   `json:"date"`
	Level    string   `json:"niveau,omitempty"`
	Diploma  string   `json:"diplome"`
	Division string   `json:"division,omitempty"`
	Author   *Author  `json:"auteur,omitempty"`
	Origin   string   `json:"etablissement_origine,omitempty"`
	Results  []Result `json:"resultats,omitempty"`
	Comment  string   `json:"commentaire,omitempty"`
}

// Author names who evaluated; the STS-web id matches a teacher on import.
type Author struct {
	Name  string `json:"nom,omitempty"`
	STSID string `json:"sts_id,omitempty"`
}

// Result is the student's level on one competence.
type Result struct {
	Competence string `json:"competence"`
	Value      string `json:"valeur"`
}

// Sheet is a professional-situation sheet.
type Sheet struct {
	Key         string           `json:"cle,omitempty"`
	Kind        string           `json:"type"`
	Title       string           `json:"intitule"`
	Description string           `json:"description,omitempty"`
	Context     string           `json:"contexte"`
	Class       string           `json:"classe,omitempty"`
	PFMPStart   string           `json:"pfmp_debut,omitempty"`
	PFMPEnd     string           `json:"pfmp_fin,omitempty"`
	Host        string           `json:"organisme_accueil,omitempty"`
	Activities  string           `json:"activites,omitempty"`
	Evaluation  *SheetEvaluation `json:"evaluation,omitempty"`
	Origin      string           `json:"etablissement_origine,omitempty"`
	Files       []Attachment     `json:"fichiers,omitempty"`
}

// SheetEvaluation is a teacher's evaluation of a sheet: an overall result
// and comment, and per-competence results (version 2). Competences nil
// (the key absent, as in version 1) keeps a found sheet's per-competence
// results; a list, even empty, replaces them.
type SheetEvaluation struct {
	Author      *Author           `json:"auteur,omitempty"`
	Result      string            `json:"resultat,omitempty"`
	Comment     string            `json:"commentaire,omitempty"`
	Competences []SheetCompetence `json:"competences,omitempty"`
}

// SheetCompetence is a sheet's result on one competence of the student's
// referential, with the teacher's comment on it.
type SheetCompetence struct {
	Competence string `json:"competence"`
	Value      string `json:"valeur,omitempty"`
	Comment    string `json:"commentaire,omitempty"`
}

// Attachment is a file attached to a sheet. On export its bytes are not in
// the JSON (the full-record ZIP holds them at Path); on import Content
// carries them, base64-encoded.
type Attachment struct {
	Name    string `json:"nom"`
	Type    string `json:"type,omitempty"`
	Size    int64  `json:"taille,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	Path    string `json:"chemin,omitempty"`
	Content string `json:"contenu_base64,omitempty"`
}

// Context names in the JSON.
const (
	jsonContextClass = "classe"
	jsonContextPFMP  = "pfmp"
)

func contextToJSON(c sillage.SituationContext) string {
	if c == sillage.ContextPFMP {
		return jsonContextPFMP
	}
	return jsonContextClass
}

// encodeBuffers hold Encode's compact and indented JSON between calls: the
// changeover encodes a record per student, thousands in a row (an Encoder
// with SetIndent grows a new indentation buffer for each).
var encodeBuffers = sync.Pool{New: func() any { return new([2]bytes.Buffer) }}

// keptBuffer bounds the compact JSON whose buffers Encode keeps for the
// next call (the indented one is about twice as large).
const keptBuffer = 1 << 20

// Encode writes f as indented JSON, followed by a newline.
func Encode(w io.Writer, f *File) error {
	bufs := encodeBuffers.Get().(*[2]bytes.Buffer)
	compact, indented := &bufs[0], &bufs[1]
	compact.Reset()
	indented.Reset()
	defer func() {
		if compact.Cap() <= keptBuffer {
			encodeBuffers.Put(bufs)
		}
	}()
	enc := json.NewEncoder(compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	if err := json.Indent(indented, compact.Bytes(), "", "  "); err != nil {
		return err
	}
	_, err := w.Write(indented.Bytes())
	return err
}

// ExportOptions shape an export.
type ExportOptions struct {
	// ExternalIDs includes the SIECLE ELEVE_ID of students and the STS-web
	// id of authors: only administrators may see them (privacy.md).
	ExternalIDs bool
	// BirthDate includes the students' birth dates (the student's own
	// record, administrators); other staff see names and results only.
	BirthDate bool
	// Paths gives each attachment's place in the full-record ZIP.
	Paths map[int64]string
	Now   time.Time
}

// ToFile writes records in the records JSON format.
func ToFile(recs *Records, o ExportOptions) *File {
	f := &File{Format: FormatName, Version: FormatVersion, UAI: string(recs.Establishment.UAI), Establishment: recs.Establishment.Name,
		Students: []Student{}}
	if !o.Now.IsZero() {
		f.ExportedAt = o.Now.UTC().Format(time.RFC3339)
	}
	for _, l := range recs.Scale {
		f.Scale = append(f.Scale, Level{Code: l.Code, Label: l.Label, Points: l.Points})
	}
	for _, r := range recs.Referentials {
		jr := Referential{Diploma: r.Diploma, Kind: string(r.Kind), Label: r.Label, Competences: []Competence{}}
		for _, c := range r.Competences {
			jr.Competences = append(jr.Competences, Competence{Domain: c.Domain, Code: c.Code, Label: c.Label})
		}
		f.Referentials = append(f.Referentials, jr)
	}
	author := func(id int64, name string) *Author {
		if id == 0 && name == "" {
			return nil
		}
		a := &Author{Name: name}
		if p, ok := recs.Authors[id]; ok {
			a.Name = p.FullName()
			if o.ExternalIDs {
				a.STSID = p.STSID
			}
		}
		return a
	}
	for _, sr := range recs.Students {
		s := Student{LastName: sr.Student.LastName, FirstName: sr.Student.FirstName, Division: sr.Student.DivisionCode, Diploma: sr.Student.Diploma}
		if o.BirthDate || o.ExternalIDs {
			s.BirthDate = sr.Student.BirthDate.String()
		}
		if o.ExternalIDs {
			s.EleveID = sr.Student.SIECLEID
		}
		for _, e := range sr.Evaluations {
			je := Evaluation{Key: e.Key, Title: e.Title, Date: e.Date.String(), Level: e.Level, Diploma: e.Diploma,
				Author: author(e.AuthorID, e.AuthorName), Origin: string(e.OriginUAI), Comment: e.Comment}
			if e.Diploma == "" && e.Referential != nil {
				je.Diploma = e.Referential.Diploma
			}
			for _, r := range e.Results {
				je.Results = append(je.Results, Result{Competence: r.Competence.Code, Value: r.Value})
			}
			s.Evaluations = append(s.Evaluations, je)
		}
		for _, sh := range sr.Sheets {
			js := Sheet{Key: recs.SheetKeys[sh.ID], Kind: string(sh.Kind), Title: sh.Title, Description: sh.Description,
				Context: contextToJSON(sh.Context), Class: sh.Class, PFMPStart: sh.PFMPStart.String(), PFMPEnd: sh.PFMPEnd.String(),
				Host: sh.Host, Activities: sh.Activities, Origin: string(sh.OriginUAI)}
			if sh.AuthorID != 0 || sh.Result != "" || sh.Comment != "" || len(sh.Results) > 0 {
				js.Evaluation = &SheetEvaluation{Author: author(sh.AuthorID, sh.AuthorName), Result: sh.Result, Comment: sh.Comment}
				for _, x := range sh.Results {
					js.Evaluation.Competences = append(js.Evaluation.Competences, SheetCompetence{Competence: x.Code, Value: x.Value, Comment: x.Comment})
				}
			}
			for _, a := range sh.Attachments {
				js.Files = append(js.Files, Attachment{Name: a.Name, Type: a.ContentType, Size: a.Size, SHA256: a.SHA256, Path: o.Paths[a.ID]})
			}
			s.Sheets = append(s.Sheets, js)
		}
		f.Students = append(f.Students, s)
	}
	return f
}
