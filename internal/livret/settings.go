package livret

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
)

// Establishment settings of the Livret Scolaire.
const (
	SettingVersion    = "lsu.schema_version"         // target schema version of the exports
	SettingModalityN  = "lsu.modality_n"             // modality written for SIECLE's "N"; "" refuses those subjects
	SettingMode       = "lsu.positioning_mode"       // "moyennes" or "positionnements", as declared in LSU
	SettingThresholds = "lsu.positioning_thresholds" // "1.5;2.5;3.5": mean points → positioning
)

// Audit actions of the Livret Scolaire (besides audit.ExportLSU).
const (
	AuditSettings     = "lsu.settings"
	AuditReportClosed = "lsu.report.closed"
	AuditReportOpened = "lsu.report.reopened"
	AuditPeriods      = "periods.changed"
)

// Settings are an establishment's Livret Scolaire settings.
type Settings struct {
	Version   string
	ModalityN string
	Mode      lsu.PositioningMode
	// Thresholds map the mean points of a student's competence results
	// (the scale's 0–4 line) to a positioning: below the first, 1; below
	// the second, 2; below the third, 3; otherwise 4.
	Thresholds [3]float64
}

// DefaultThresholds cut the 0–4 line of the default scale at the halves:
// a mean of 2.6 proposes 3 ("maîtrisé").
var DefaultThresholds = [3]float64{1.5, 2.5, 3.5}

// DegreeOf is the LSU degree of an establishment: écoles export the 1st
// degree, collèges the 2nd. LSU stops at the end of the collège (cycle 4):
// a lycée, professional or general, has no Livret Scolaire Unique, and is
// told so rather than offered collège reports; an establishment of unknown
// kind is told who sets it. The refusal says why and what to do.
func DegreeOf(e sillage.Establishment) (lsu.Degree, error) {
	switch e.Kind {
	case sillage.KindEcole:
		return lsu.FirstDegree, nil
	case sillage.KindCollege:
		return lsu.SecondDegree, nil
	case sillage.KindUnknown:
		return "", sillage.Errorf(sillage.KindInvalid, "le type de l'établissement %s n'est pas connu : le Livret Scolaire Unique (LSU) ne concerne que les écoles et les collèges. "+
			"L'opérateur de l'instance l'indique %s", e.UAI, howToSetKind(e.UAI))
	}
	return "", sillage.Errorf(sillage.KindInvalid, "le Livret Scolaire Unique (LSU) ne s'applique pas à %s, %s : il ne concerne que les écoles (1er degré) et les collèges (2nd degré), "+
		"du CP à la 3e. Si l'établissement est en fait un collège ou une école, l'opérateur de l'instance corrige son type %s",
		e.UAI, strings.ToLower(e.Kind.Label()), howToSetKind(e.UAI))
}

// Applies reports whether LSU concerns the establishment (DegreeOf refuses
// with the reason otherwise): menus offer the Livret Scolaire only then.
func Applies(e sillage.Establishment) bool {
	_, err := DegreeOf(e)
	return err == nil
}

// howToSetKind names both ways the operator sets the kind: their web page
// (where they usually are) and the command line (for scripts).
func howToSetKind(uai sillage.UAI) string {
	return fmt.Sprintf("sur sa page « Établissements de l'instance » (choix du type, puis « Enregistrer ») ou par la commande « sillage establishment kind --uai %s --kind college » (ou ecole)", uai)
}

// DefaultVersion is the schema version of a degree when none is set.
func DefaultVersion(d lsu.Degree) string { return lsu.Versions(d)[0] }

// LoadSettings reads the settings, with their defaults.
func LoadSettings(ctx context.Context, tx *store.Tx, uai sillage.UAI, d lsu.Degree) (Settings, error) {
	s := Settings{Version: DefaultVersion(d), Mode: lsu.ModeAverages, Thresholds: DefaultThresholds}
	get := func(key string) (string, error) { return tx.Periods().GetSetting(ctx, uai, key, "") }
	v, err := get(SettingVersion)
	if err != nil {
		return s, err
	}
	if slices.Contains(lsu.Versions(d), v) {
		s.Version = v
	}
	if s.ModalityN, err = get(SettingModalityN); err != nil {
		return s, err
	}
	mode, err := get(SettingMode)
	if err != nil {
		return s, err
	}
	if lsu.PositioningMode(mode) == lsu.ModePositioning {
		s.Mode = lsu.ModePositioning
	}
	th, err := get(SettingThresholds)
	if err != nil {
		return s, err
	}
	if t, err := ParseThresholds(th); err == nil && th != "" {
		s.Thresholds = t
	}
	return s, nil
}

// ParseThresholds reads "1.5;2.5;3.5" (a comma is a decimal separator too):
// three increasing numbers.
func ParseThresholds(s string) ([3]float64, error) {
	var out [3]float64
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ' ' || r == '/' })
	if len(parts) != 3 {
		return out, sillage.Errorf(sillage.KindInvalid, "trois seuils sont attendus, séparés par des points-virgules (par exemple 1,5 ; 2,5 ; 3,5)")
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.ReplaceAll(p, ",", "."), 64)
		if err != nil || v < 0 || v > 10 {
			return out, sillage.Errorf(sillage.KindInvalid, "seuil « %s » invalide", p)
		}
		if i > 0 && v <= out[i-1] {
			return out, sillage.Errorf(sillage.KindInvalid, "les seuils doivent être croissants")
		}
		out[i] = v
	}
	return out, nil
}

// FormatThresholds writes thresholds the French way: "1,5 ; 2,5 ; 3,5".
func FormatThresholds(t [3]float64) string {
	var parts []string
	for _, v := range t {
		parts = append(parts, strings.ReplaceAll(strconv.FormatFloat(v, 'f', -1, 64), ".", ","))
	}
	return strings.Join(parts, " ; ")
}

// SaveSettings checks and stores the settings, with an audit entry.
func SaveSettings(ctx context.Context, tx *store.Tx, uai sillage.UAI, d lsu.Degree, who audit.Actor, s Settings) error {
	if !slices.Contains(lsu.Versions(d), s.Version) {
		return sillage.Errorf(sillage.KindInvalid, "version de schéma %q inconnue pour ce degré (%s)", s.Version, strings.Join(lsu.Versions(d), ", "))
	}
	s.ModalityN = strings.ToUpper(strings.TrimSpace(s.ModalityN))
	if s.ModalityN != "" && !slices.Contains([]string{"S", "O", "F", "L", "R", "X", "D"}, s.ModalityN) {
		return sillage.Errorf(sillage.KindInvalid, "modalité de remplacement de N invalide : S, O, F, L, R, X ou D (vide pour refuser ces matières)")
	}
	if s.Mode != lsu.ModeAverages && s.Mode != lsu.ModePositioning {
		return sillage.Errorf(sillage.KindInvalid, "mode d'évaluation inconnu : moyennes ou positionnements")
	}
	if _, err := ParseThresholds(FormatThresholds(s.Thresholds)); err != nil {
		return err
	}
	for k, v := range map[string]string{SettingVersion: s.Version, SettingModalityN: s.ModalityN, SettingMode: string(s.Mode),
		SettingThresholds: FormatThresholds(s.Thresholds)} {
		if err := tx.Periods().SetSetting(ctx, uai, k, v); err != nil {
			return err
		}
	}
	details := fmt.Sprintf("version %s ; modalité N : %s ; mode : %s ; seuils : %s", s.Version, orNone(s.ModalityN), s.Mode, FormatThresholds(s.Thresholds))
	return audit.Record(ctx, tx, uai, who, AuditSettings, "paramètres LSU", details)
}

func orNone(s string) string {
	if s == "" {
		return "refusée"
	}
	return s
}

// RolledOver reports whether the changeover has archived year (or a later
// one): LSU no longer accepts its reports ("plus possible une fois la
// bascule de l'année scolaire effectuée").
func RolledOver(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) (bool, error) {
	years, err := tx.Rollover().GetYearState(ctx, uai)
	if err != nil {
		return false, err
	}
	return years.IsArchived(year), nil
}
