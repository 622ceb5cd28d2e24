package records

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// ReferentialFormat names the JSON of one referential.
const ReferentialFormat = "sillage-referentiel"

// ReferentialFile is one referential as JSON (export, import).
type ReferentialFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Referential
}

// ReferentialToFile writes a referential as JSON data.
func ReferentialToFile(r sillage.Referential) ReferentialFile {
	f := ReferentialFile{Format: ReferentialFormat, Version: ReferentialVersion,
		Referential: Referential{Diploma: r.Diploma, Kind: string(r.Kind), Label: r.Label, Competences: []Competence{}}}
	for _, c := range r.Competences {
		f.Competences = append(f.Competences, Competence{Domain: c.Domain, Code: c.Code, Label: c.Label})
	}
	return f
}

// NormalizeDiploma reads a diploma code: the diploma part of a MEF code
// (an 11-character MEF is cut to its 8 diploma characters), letters and
// digits only.
func NormalizeDiploma(s string) (string, error) {
	d := sillage.DiplomaOfMEF(strings.ToUpper(strings.TrimSpace(s)))
	if d == "" {
		return "", sillage.Errorf(sillage.KindInvalid, "le code du diplôme est obligatoire (la partie diplôme du code MEF, 8 caractères)")
	}
	for _, r := range d {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return "", sillage.Errorf(sillage.KindInvalid, "code de diplôme %q invalide : lettres et chiffres seulement", s)
		}
	}
	return d, nil
}

// ParseReferentialKind checks a referential kind ("" is "other").
func ParseReferentialKind(s string) (sillage.ReferentialKind, error) {
	switch k := sillage.ReferentialKind(strings.TrimSpace(s)); k {
	case sillage.ReferentialBacPro, sillage.ReferentialBEP, sillage.ReferentialOther:
		return k, nil
	case "":
		return sillage.ReferentialOther, nil
	}
	return "", sillage.Errorf(sillage.KindInvalid, "type de référentiel %q inconnu : bacpro, bep ou other", s)
}

// ReferentialReport says what a referential import did.
type ReferentialReport struct {
	Referential sillage.Referential
	Created     bool
	Added       int
	Updated     int
	Unchanged   int
	Kept        []string // codes in Sillage but not in the file: kept
}

// Message sums the report up in French.
func (r ReferentialReport) Message() string {
	verb := "mis à jour"
	if r.Created {
		verb = "créé"
	}
	msg := fmt.Sprintf("Référentiel « %s » %s : %d compétence(s) ajoutée(s), %d modifiée(s), %d inchangée(s).",
		r.Referential.Label, verb, r.Added, r.Updated, r.Unchanged)
	if len(r.Kept) > 0 {
		msg += fmt.Sprintf(" %d compétence(s) absentes du fichier sont conservées (%s) : supprimez-les à la main si besoin.",
			len(r.Kept), strings.Join(r.Kept, ", "))
	}
	return msg
}

// ImportReferential reads one referential's JSON and creates it, or merges
// it into the referential of the same diploma: competences are matched by
// code, added or updated (domain, label, order); none is deleted (a
// deletion is an administrator's explicit, logged action).
func ImportReferential(ctx context.Context, tx *store.Tx, uai sillage.UAI, r io.Reader) (ReferentialReport, error) {
	var rep ReferentialReport
	var f ReferentialFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&f); err != nil {
		return rep, sillage.Errorf(sillage.KindInvalid, "fichier JSON illisible : %s", err)
	}
	if f.Format != ReferentialFormat {
		return rep, sillage.Errorf(sillage.KindInvalid, "« format » doit valoir %q : ce n'est pas un référentiel Sillage", ReferentialFormat)
	}
	if f.Version != ReferentialVersion {
		return rep, sillage.Errorf(sillage.KindInvalid, "version %d non prise en charge (version %d attendue)", f.Version, ReferentialVersion)
	}
	diploma, err := NormalizeDiploma(f.Diploma)
	if err != nil {
		return rep, err
	}
	kind, err := ParseReferentialKind(f.Kind)
	if err != nil {
		return rep, err
	}
	if strings.TrimSpace(f.Label) == "" {
		return rep, sillage.Errorf(sillage.KindInvalid, "le libellé du référentiel est obligatoire")
	}
	seen := map[string]bool{}
	for i, c := range f.Competences {
		comp := sillage.Competence{Code: strings.TrimSpace(c.Code), Label: strings.TrimSpace(c.Label), Domain: strings.TrimSpace(c.Domain)}
		if err := comp.Validate(); err != nil {
			return rep, sillage.Errorf(sillage.KindInvalid, "compétence n° %d : %s", i+1, sillage.Message(err))
		}
		if seen[comp.Code] {
			return rep, sillage.Errorf(sillage.KindInvalid, "la compétence %s apparaît deux fois", comp.Code)
		}
		seen[comp.Code] = true
	}
	ref, err := tx.Records().GetReferentialByDiploma(ctx, uai, diploma)
	switch {
	case sillage.KindOf(err) == sillage.KindNotFound:
		ref = sillage.Referential{Diploma: diploma, Kind: kind, Label: strings.TrimSpace(f.Label)}
		for _, c := range f.Competences {
			ref.Competences = append(ref.Competences, sillage.Competence{Code: strings.TrimSpace(c.Code), Label: strings.TrimSpace(c.Label), Domain: strings.TrimSpace(c.Domain)})
		}
		if err := tx.Records().CreateReferential(ctx, uai, &ref); err != nil {
			return rep, err
		}
		rep.Referential, rep.Created, rep.Added = ref, true, len(ref.Competences)
		return rep, nil
	case err != nil:
		return rep, err
	}
	ref.Label, ref.Kind = strings.TrimSpace(f.Label), kind
	if err := tx.Records().UpdateReferential(ctx, uai, ref); err != nil {
		return rep, err
	}
	byCode := map[string]sillage.Competence{}
	for _, c := range ref.Competences {
		byCode[c.Code] = c
	}
	for i, c := range f.Competences {
		want := sillage.Competence{ReferentialID: ref.ID, Code: strings.TrimSpace(c.Code), Label: strings.TrimSpace(c.Label),
			Domain: strings.TrimSpace(c.Domain), Position: i + 1}
		old, ok := byCode[want.Code]
		switch {
		case !ok:
			if err := tx.Records().CreateCompetence(ctx, uai, &want); err != nil {
				return rep, err
			}
			rep.Added++
		case old.Label == want.Label && old.Domain == want.Domain && old.Position == want.Position:
			rep.Unchanged++
		default:
			want.ID = old.ID
			if err := tx.Records().UpdateCompetence(ctx, uai, want); err != nil {
				return rep, err
			}
			rep.Updated++
		}
	}
	next := len(f.Competences)
	for _, c := range ref.Competences {
		if !seen[c.Code] {
			rep.Kept = append(rep.Kept, c.Code)
			next++
			if c.Position != next {
				c.Position = next
				if err := tx.Records().UpdateCompetence(ctx, uai, c); err != nil {
					return rep, err
				}
			}
		}
	}
	rep.Referential, err = tx.Records().GetReferential(ctx, uai, ref.ID)
	return rep, err
}

// Diploma is a diploma of the establishment's MEF nomenclature (imported
// from SIECLE or STS-web): its code, the diploma part of a MEF, and its name.
type Diploma struct{ Code, Name string }

// Diplomas are the diplomas an establishment's nomenclature names, in its
// order. Pages and messages name a diploma through them, never by its bare
// code.
type Diplomas []Diploma

// LoadDiplomas reads the diploma names of uai's MEF nomenclature.
func LoadDiplomas(ctx context.Context, tx *store.Tx, uai sillage.UAI) (Diplomas, error) {
	mefs, err := tx.People().ListMEFs(ctx, uai)
	if err != nil {
		return nil, fmt.Errorf("diploma names of %s: %w", uai, err)
	}
	var ds Diplomas
	seen := map[string]bool{}
	for _, m := range mefs {
		code, name := sillage.DiplomaOfMEF(m.Code), strings.TrimSpace(m.Formation+" "+m.Label)
		if code == "" || name == "" || seen[code] {
			continue
		}
		seen[code] = true
		ds = append(ds, Diploma{Code: code, Name: name})
	}
	return ds, nil
}

// Name is the name of the diploma code for a sentence: the nomenclature's
// name, or, when no import named it, the code said to be one.
func (ds Diplomas) Name(code string) string {
	if code == "" {
		return ""
	}
	for _, d := range ds {
		if d.Code == code {
			return d.Name
		}
	}
	return "diplôme de code " + code + " (intitulé absent de la nomenclature importée)"
}
