package livret

import (
	"strings"

	"github.com/sillage/sillage/internal/lsu"
)

// Domain is a teaching domain of the 1st-degree periodic report.
type Domain struct {
	Code  string // 7 characters, as LSU 1D writes them
	Label string
}

// Domains1D are the domains Sillage offers for the 1st-degree periodic
// report. LSU's 1st-degree nomenclature is not public (formats-notes.md
// §6): the codes follow the 7-character "XXX-RAC" shape of the domain roots
// the peers write, and must be checked against the "contrat d'interface"
// before the first real import.
var Domains1D = []Domain{
	{"FRA-RAC", "Français"},
	{"MAT-RAC", "Mathématiques"},
	{"LVE-RAC", "Langues vivantes"},
	{"EPS-RAC", "Éducation physique et sportive"},
	{"ART-RAC", "Enseignements artistiques"},
	{"QLM-RAC", "Questionner le monde"},
	{"SCT-RAC", "Sciences et technologie"},
	{"HGE-RAC", "Histoire et géographie"},
	{"EMC-RAC", "Enseignement moral et civique"},
}

func domainLabel(code string) string {
	for _, d := range Domains1D {
		if d.Code == code {
			return d.Label
		}
	}
	return code
}

// SupportCodes are the support measures (modalités d'accompagnement) of a degree.
func SupportCodes(d lsu.Degree) []string {
	if d == lsu.FirstDegree {
		return []string{"PAP", "PPS", "UPE2A", "RASED", "ULIS", "PAI", "PPRE"}
	}
	return []string{"PAP", "PPS", "UPE2A", "SEGPA", "ULIS", "PAI", "PPRE"}
}

// SupportLabels names the support measures.
var SupportLabels = map[string]string{
	"PAP":   "Plan d'accompagnement personnalisé",
	"PPS":   "Projet personnalisé de scolarisation",
	"UPE2A": "Unité pédagogique pour élèves allophones arrivants",
	"SEGPA": "Section d'enseignement général et professionnel adapté",
	"ULIS":  "Unité localisée pour l'inclusion scolaire",
	"PAI":   "Projet d'accueil individualisé",
	"PPRE":  "Programme personnalisé de réussite éducative",
	"RASED": "Réseau d'aides spécialisées aux élèves en difficulté",
}

// SocleLabels names the 8 domains of the socle commun.
var SocleLabels = map[string]string{
	"CPD_FRA": "Comprendre, s'exprimer en utilisant la langue française à l'oral et à l'écrit",
	"CPD_ETR": "Comprendre, s'exprimer en utilisant une langue étrangère et, le cas échéant, une langue régionale",
	"CPD_SCI": "Comprendre, s'exprimer en utilisant les langages mathématiques, scientifiques et informatiques",
	"CPD_ART": "Comprendre, s'exprimer en utilisant les langages des arts et du corps",
	"MET_APP": "Les méthodes et outils pour apprendre",
	"FRM_CIT": "La formation de la personne et du citoyen",
	"SYS_NAT": "Les systèmes naturels et les systèmes techniques",
	"REP_MND": "Les représentations du monde et l'activité humaine",
}

// SocleLevels names the positionings of a socle domain.
var SocleLevels = []string{"Dispensé", "Maîtrise insuffisante", "Maîtrise fragile", "Maîtrise satisfaisante", "Très bonne maîtrise"}

// PositioningLabels names the positionings 1–4 of a subject.
var PositioningLabels = []string{"", "Objectifs d'apprentissage non atteints", "Partiellement atteints", "Atteints", "Dépassés"}

// StatusLabels names the evaluation statuses of a subject line.
var StatusLabels = []string{"", "Non noté", "En attente", "Dispensé"}

// Complement codes (enseignement de complément) and regional languages of
// the end of cycle 4, with their names.
var (
	ComplementLabels = map[string]string{"AUC": "Aucun", "LCA": "Langues et cultures de l'Antiquité", "LCE": "Langues et cultures européennes",
		"LCR": "Langue et culture régionales", "CHK": "Chant choral", "PRO": "Découverte professionnelle", "LSF": "Langue des signes française",
		"LVE": "Langue vivante étrangère"}
	RegionalLabels = map[string]string{"AUC": "Aucune", "BAQ": "Basque", "BRE": "Breton", "CAT": "Catalan", "COS": "Corse",
		"CPF": "Créoles", "FUD": "Francique", "GAL": "Gallo", "GSW": "Alsacien", "MEL": "Mélanésiennes", "MOL": "Mosellan",
		"OCI": "Occitan", "TAH": "Tahitien", "WLS": "Wallisien et futunien"}
)

// Cycles lists the cycles whose end-of-cycle report a degree exports.
func Cycles(d lsu.Degree) []int {
	if d == lsu.FirstDegree {
		return []int{2}
	}
	return []int{3, 4}
}

// CycleOf guesses the cycle a class ends from its level: 6e ends cycle 3,
// 3e ends cycle 4, CE2 ends cycle 2; 0 when the level ends no cycle. The
// level is a MEF code (collège MEFs start with 100 for 6e and 103 for 3e),
// a formation ("6EME", "3EME") or an ONDE level ("CE2").
func CycleOf(level string) int {
	l := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(level), " ", ""))
	switch {
	case l == "":
		return 0
	case strings.HasPrefix(l, "CE2"):
		return 2
	case strings.HasPrefix(l, "6") || strings.HasPrefix(l, "100"):
		return 3
	case strings.HasPrefix(l, "3") && !strings.HasPrefix(l, "3PRO") || strings.HasPrefix(l, "103"):
		return 4
	}
	return 0
}
