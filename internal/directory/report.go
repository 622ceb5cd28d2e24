package directory

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/sillage/sillage"
)

// Source is the kind of file an import reads.
type Source string

const (
	SourceSIECLE       Source = "siecle"       // ElevesSansAdresses / ElevesAvecAdresses
	SourceResponsables Source = "responsables" // ResponsablesAvecAdresses
	SourceNomenclature Source = "nomenclature" // Nomenclature.xml
	SourceSTS          Source = "sts"          // sts_emp_<UAI>_<année>.xml
	SourceAAF          Source = "aaf"          // ficAlimMENESR files, Complet or Delta
	SourceONDE         Source = "onde"         // CSVExtraction.csv (1st degree)
)

// Sources lists the sources in the order the import page offers them.
var Sources = []Source{SourceSIECLE, SourceResponsables, SourceNomenclature, SourceSTS, SourceAAF, SourceONDE}

// ParseSource checks a source name.
func ParseSource(s string) (Source, error) {
	for _, src := range Sources {
		if string(src) == strings.TrimSpace(s) {
			return src, nil
		}
	}
	return "", sillage.Errorf(sillage.KindInvalid, "type de fichier %q inconnu : siecle, responsables, nomenclature, sts, aaf ou onde", s)
}

// Label is the French name of the source.
func (s Source) Label() string {
	switch s {
	case SourceSIECLE:
		return "SIECLE — élèves"
	case SourceResponsables:
		return "SIECLE — responsables"
	case SourceNomenclature:
		return "SIECLE — nomenclature"
	case SourceSTS:
		return "STS-web — services"
	case SourceAAF:
		return "AAF — annuaire académique"
	case SourceONDE:
		return "ONDE — élèves du premier degré"
	}
	return string(s)
}

// Status is the outcome of an import.
type Status string

const (
	StatusApplied Status = "applique" // written, no record rejected
	// StatusAppliedWithRejects: written, some records rejected (fewer
	// than the share that refuses the file, see MaxRejectShare).
	StatusAppliedWithRejects Status = "applique_avec_rejets"
	StatusDryRun             Status = "simulation"  // --dry-run: computed, nothing written
	StatusHeld               Status = "a_confirmer" // a mass deactivation awaits confirmation: nothing written
	StatusRefused            Status = "refuse"      // wrong establishment, closed year, invalid UAI: nothing written
)

// Label is the French name of the status.
func (s Status) Label() string {
	switch s {
	case StatusApplied:
		return "appliqué"
	case StatusAppliedWithRejects:
		return "appliqué avec rejets : les enregistrements rejetés sont listés plus bas"
	case StatusDryRun:
		return "simulation : rien n'a été enregistré"
	case StatusHeld:
		return "en attente de confirmation : rien n'a été enregistré"
	case StatusRefused:
		return "refusé : rien n'a été enregistré"
	}
	return string(s)
}

// Applied reports whether the import was written (with rejects or not).
func (s Status) Applied() bool { return s == StatusApplied || s == StatusAppliedWithRejects }

// Counts are the figures of one kind of person or structure.
type Counts struct {
	Kind        string `json:"type"`
	Label       string `json:"libelle"`
	Created     int    `json:"crees"`
	Updated     int    `json:"modifies"`
	Deactivated int    `json:"desactives"`
	Reactivated int    `json:"reactives"`
	Unchanged   int    `json:"inchanges"`
	// Deleted counts structures removed (programmes, services), never persons.
	Deleted int `json:"supprimes,omitempty"`
}

// Total is the number of records the counts cover.
func (c Counts) Total() int {
	return c.Created + c.Updated + c.Deactivated + c.Reactivated + c.Unchanged
}

// StudentLine names a student in a report: name and division, never the INE.
type StudentLine struct {
	Name     string `json:"nom"`
	Division string `json:"division,omitempty"`
	Reason   string `json:"motif,omitempty"`
}

// Reject is a record left out, with where it is in the file.
type Reject struct {
	Location string `json:"emplacement"` // "ligne 12 (ELEVE)", "ligne 4 du fichier …"
	Name     string `json:"nom,omitempty"`
	Reason   string `json:"motif"`
	// LeftAsIs: the record names a person (or a division) Sillage knows;
	// being in the file, they are neither deactivated nor changed
	// ("rejeté — laissé en l'état", imports.md rule 1).
	LeftAsIs bool `json:"laisse_en_l_etat,omitempty"`
}

// LeftAsIsLabel is how a report shows a reject whose person is kept.
const LeftAsIsLabel = "rejeté — laissé en l'état"

// IndexEffects are the consequences for the transfer engine (transfer.md §4).
type IndexEffects struct {
	Entering []StudentLine `json:"entrees"` // deactivated students with an unqid: their record waits for another establishment
	Leaving  []StudentLine `json:"sorties"` // reactivated students whose entry was removed
	// NewWaiting are the students created with an unqid: status "new",
	// they may receive the record of a previous establishment.
	NewWaiting []StudentLine `json:"nouveaux_en_attente"`
}

// Relatives sums up the parents an AAF import found for this establishment:
// only legal guardians get a person and an account.
type Relatives struct {
	Referenced int `json:"references"`          // distinct relatives the students name
	Legal      int `json:"responsables_legaux"` // of which legal guardians (imported)
	NotLegal   int `json:"non_legaux"`          // persons in charge, contacts: not imported
	Missing    int `json:"absents_du_fichier"`  // legal guardians with no PersRelEleve record
}

// Guard is the mass-deactivation check of a complete file (imports.md rule 2).
type Guard struct {
	Kind        string  `json:"type"`
	Label       string  `json:"libelle"`
	Active      int     `json:"actifs"`
	Deactivated int     `json:"desactivations"`
	Share       float64 `json:"part"`
	Threshold   float64 `json:"seuil"`
	Confirmed   bool    `json:"confirme"`
}

// Report is what an import did (or would do) to one establishment. It is
// stored until the changeover, shown on the import page and printed by the
// command line. It never holds an INE.
type Report struct {
	ID            int64              `json:"id,omitempty"`
	UAI           sillage.UAI        `json:"uai"`
	Establishment string             `json:"etablissement,omitempty"`
	Source        Source             `json:"source"`
	SourceLabel   string             `json:"type_de_fichier"`
	FileName      string             `json:"fichier"`
	SchoolYear    sillage.SchoolYear `json:"annee_scolaire"`
	Complete      bool               `json:"fichier_complet"`
	// FileYear is the school year the file is of (estimated from the
	// pupils for ONDE, YearEstimated); Exported is its export date when
	// it says it. A file older than the last applied one is held.
	FileYear      sillage.SchoolYear `json:"annee_du_fichier,omitempty"`
	YearEstimated bool               `json:"annee_estimee,omitempty"`
	Exported      time.Time          `json:"date_export,omitempty"`
	At            time.Time          `json:"date"`
	Status        Status             `json:"statut"`
	StatusLabel   string             `json:"statut_libelle"`
	Message       string             `json:"message,omitempty"`

	People           []Counts      `json:"personnes"`
	Structures       []Counts      `json:"structures"`
	DivisionsCreated []string      `json:"divisions_creees"`
	WithoutINE       []StudentLine `json:"eleves_sans_ine"`
	Index            IndexEffects  `json:"index_transfert"`
	Relatives        *Relatives    `json:"responsables_aaf,omitempty"`
	Guards           []Guard       `json:"garde_desactivation,omitempty"`
	Rejects          []Reject      `json:"rejets"`
	// LeftInPlace are the students a complete file names in records it
	// rejects: present, they are neither deactivated nor moved; the
	// reason says which record and why ("rejeté — laissé en l'état").
	LeftInPlace []StudentLine `json:"rejetes_laisses_en_l_etat"`
	Warnings    []string      `json:"avertissements"`
	// Records and RejectedRecords count the person records of the file
	// (students, pupils) and those rejected: the share decides whether
	// the import is refused (MaxRejectShare).
	Records         int `json:"enregistrements,omitempty"`
	RejectedRecords int `json:"enregistrements_rejetes,omitempty"`
	// ExitedNotCreated counts students the file lists as having left
	// before Sillage knew them: they are not created.
	ExitedNotCreated int `json:"sortis_non_crees,omitempty"`
	// TransferQueued: the transfer run was queued in the import's own
	// transaction (Importer.QueueTransfer).
	TransferQueued bool `json:"transfert_programme,omitempty"`
}

func newReport(src Source, uai sillage.UAI, fileName string, at time.Time) *Report {
	return &Report{UAI: uai, Source: src, SourceLabel: src.Label(), FileName: fileName, At: at,
		People: []Counts{}, Structures: []Counts{}, DivisionsCreated: []string{}, WithoutINE: []StudentLine{},
		Index:   IndexEffects{Entering: []StudentLine{}, Leaving: []StudentLine{}, NewWaiting: []StudentLine{}},
		Rejects: []Reject{}, Warnings: []string{}, LeftInPlace: []StudentLine{}}
}

// RefusedReport is the report of an import refused before its file could
// be read (an unreadable ZIP, a folder): the command line prints it under
// --json, so that a machine always reads a report.
func RefusedReport(src Source, uai sillage.UAI, fileName string, at time.Time, msg string) *Report {
	r := newReport(src, uai, fileName, at)
	r.setStatus(StatusRefused, msg)
	return r
}

// summaryOnly is a copy without the lists of students and rejects.
func (r *Report) summaryOnly() *Report {
	c := *r
	c.WithoutINE, c.Rejects, c.Warnings, c.DivisionsCreated = []StudentLine{}, []Reject{}, []string{}, []string{}
	c.LeftInPlace = []StudentLine{}
	c.Index = IndexEffects{Entering: []StudentLine{}, Leaving: []StudentLine{}, NewWaiting: []StudentLine{}}
	return &c
}

// clone returns a deep copy of the report (through its stored JSON form,
// which holds every field).
func (r *Report) clone() (*Report, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return ParseReport(b)
}

func (r *Report) setStatus(s Status, msg string) {
	r.Status, r.StatusLabel, r.Message = s, s.Label(), msg
}

// counts returns the line of kind, adding it in a fixed order.
func (r *Report) counts(kind string) *Counts {
	list := &r.People
	if !isPersonKind(kind) {
		list = &r.Structures
	}
	for i := range *list {
		if (*list)[i].Kind == kind {
			return &(*list)[i]
		}
	}
	*list = append(*list, Counts{Kind: kind, Label: kindLabel(kind)})
	sort.SliceStable(*list, func(i, j int) bool { return kindOrder(((*list)[i]).Kind) < kindOrder(((*list)[j]).Kind) })
	for i := range *list {
		if (*list)[i].Kind == kind {
			return &(*list)[i]
		}
	}
	panic("unreachable")
}

// The kinds of the counts.
const (
	KindStudents   = "eleves"
	KindParents    = "responsables"
	KindTeachers   = "enseignants"
	KindStaff      = "personnels"
	KindDivisions  = "divisions"
	KindGroups     = "groupes"
	KindServices   = "services"
	KindMEFs       = "mef"
	KindSubjects   = "matieres"
	KindProgrammes = "programmes"
	KindStructures = "etablissements"
)

var kinds = []struct{ kind, label string }{
	{KindStudents, "Élèves"},
	{KindParents, "Responsables légaux"},
	{KindTeachers, "Enseignants"},
	{KindStaff, "Personnels (direction, vie scolaire…)"},
	{KindStructures, "Établissements"},
	{KindDivisions, "Divisions"},
	{KindGroups, "Groupes"},
	{KindServices, "Services d'enseignement"},
	{KindMEFs, "MEF (formations)"},
	{KindSubjects, "Matières"},
	{KindProgrammes, "Programmes (MEF × matière)"},
}

func isPersonKind(k string) bool {
	return k == KindStudents || k == KindParents || k == KindTeachers || k == KindStaff
}

func kindLabel(k string) string {
	for _, kl := range kinds {
		if kl.kind == k {
			return kl.label
		}
	}
	return k
}

func kindOrder(k string) int {
	for i, kl := range kinds {
		if kl.kind == k {
			return i
		}
	}
	return len(kinds)
}

// Count returns the counts of a kind (zero when the import had none).
func (r *Report) Count(kind string) Counts {
	for _, list := range [][]Counts{r.People, r.Structures} {
		for _, c := range list {
			if c.Kind == kind {
				return c
			}
		}
	}
	return Counts{Kind: kind, Label: kindLabel(kind)}
}

// Changed reports whether the import created, updated, deactivated or
// reactivated anything.
func (r *Report) Changed() bool {
	for _, list := range [][]Counts{r.People, r.Structures} {
		for _, c := range list {
			if c.Created+c.Updated+c.Deactivated+c.Reactivated+c.Deleted > 0 {
				return true
			}
		}
	}
	return false
}

// TouchesTransfer reports whether the import created or deactivated
// students: the transfer run should follow (imports.md, last line).
func (r *Report) TouchesTransfer() bool {
	c := r.Count(KindStudents)
	return r.Status.Applied() && (c.Created > 0 || c.Deactivated > 0)
}

func (r *Report) reject(loc, name, reason string) {
	r.Rejects = append(r.Rejects, Reject{Location: loc, Name: name, Reason: reason})
}

// rejectRecord rejects a person record of the file: it counts towards
// the share that refuses the import.
func (r *Report) rejectRecord(loc, name, reason string) {
	r.reject(loc, name, reason)
	r.RejectedRecords++
}

func (r *Report) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

// JSON returns the report as stored and downloaded.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// ParseReport reads a stored report.
func ParseReport(data []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, sillage.Wrap(sillage.KindInternal, err, "rapport d'import illisible")
	}
	return &r, nil
}

// WriteText prints the report for a terminal, in French.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	name := string(r.UAI)
	if r.Establishment != "" {
		name += " — " + r.Establishment
	}
	fmt.Fprintf(&b, "Import %s : %s\n", r.SourceLabel, name)
	if r.FileName != "" {
		fmt.Fprintf(&b, "Fichier : %s", r.FileName)
		if r.SchoolYear != 0 {
			fmt.Fprintf(&b, " (année %s)", r.SchoolYear)
		}
		if r.Complete {
			b.WriteString(", fichier complet")
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "Résultat : %s\n", r.StatusLabel)
	if r.Message != "" {
		fmt.Fprintf(&b, "  %s\n", r.Message)
	}
	for _, list := range [][]Counts{r.People, r.Structures} {
		for _, c := range list {
			fmt.Fprintf(&b, "  %-38s créés %d, modifiés %d, désactivés %d, réactivés %d, inchangés %d",
				c.Label+" :", c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged)
			if c.Deleted > 0 {
				fmt.Fprintf(&b, ", supprimés %d", c.Deleted)
			}
			b.WriteByte('\n')
		}
	}
	if len(r.DivisionsCreated) > 0 {
		fmt.Fprintf(&b, "Divisions créées : %s\n", strings.Join(r.DivisionsCreated, ", "))
	}
	if r.Relatives != nil {
		fmt.Fprintf(&b, "Responsables cités par les élèves : %d, dont %d responsables légaux importés, %d non légaux non importés, %d absents des fichiers\n",
			r.Relatives.Referenced, r.Relatives.Legal, r.Relatives.NotLegal, r.Relatives.Missing)
	}
	for _, g := range r.Guards {
		fmt.Fprintf(&b, "Désactivations (%s) : %d sur %d actifs (%.0f %%, seuil %.0f %%)%s\n", kindLabel(g.Kind), g.Deactivated, g.Active,
			100*g.Share, 100*g.Threshold, map[bool]string{true: ", confirmées", false: ""}[g.Confirmed])
	}
	studentList := func(title string, l []StudentLine) {
		if len(l) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d) :\n", title, len(l))
		for _, s := range l {
			line := "  - " + s.Name
			if s.Division != "" {
				line += " (" + s.Division + ")"
			}
			if s.Reason != "" {
				line += " : " + s.Reason
			}
			b.WriteString(line + "\n")
		}
	}
	studentList("Rejetés — laissés en l'état (présents dans le fichier : ni désactivés, ni changés de division)", r.LeftInPlace)
	studentList("Élèves sans INE", r.WithoutINE)
	studentList("Élèves entrant dans l'index des transferts", r.Index.Entering)
	studentList("Élèves sortant de l'index des transferts", r.Index.Leaving)
	studentList("Nouveaux élèves en attente d'un éventuel transfert", r.Index.NewWaiting)
	if r.ExitedNotCreated > 0 {
		fmt.Fprintf(&b, "Élèves sortis avant leur premier import, non créés : %d\n", r.ExitedNotCreated)
	}
	if len(r.Rejects) > 0 {
		fmt.Fprintf(&b, "Rejets (%d) :\n", len(r.Rejects))
		for _, rj := range r.Rejects {
			line := "  - " + rj.Location
			if rj.Name != "" {
				line += ", " + rj.Name
			}
			line += " : " + rj.Reason
			if rj.LeftAsIs {
				line += " (" + LeftAsIsLabel + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	for _, w := range r.Warnings {
		b.WriteString("Attention : " + w + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
