package lsu

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sillage/sillage/internal/ident"
)

const (
	lea  = "ARNAUD Léa"    // s1, 3 A, reports 0 (T1) and 1 (T2), takes Latin
	hugo = "BERTIN Hugo"   // s2, 3 A, reports 2 and 3
	ines = "CHAMPION Inès" // s3, 3 A, reports 4 and 5
	noe  = "DURAND Noé"    // s4, 4B, reports 6 and 7
	jade = "AUBRY Jade"    // p1 (1D), report 0
	malo = "BLANC Malo"    // p2 (1D), report 1
	zoe  = "COLIN Zoé"     // p3 (1D), report 2
)

type checkCase struct {
	name        string
	in          func() *Input // collegeInput when nil
	mutate      func(in *Input)
	kind        Kind
	student     string // the line's student; "" for a file line
	msg         string // a part of the line's message
	after       string // fixes: the value written, when set
	fileBlocked bool
	// check looks at the plan and the generated file (nil when the file
	// is blocked).
	check func(t *testing.T, p *Plan, xml string)
}

func findLine(rep *Report, kind Kind, student, msg string) (Line, bool) {
	for _, l := range rep.Lines {
		if l.Kind == kind && l.Student == student && strings.Contains(l.Message, msg) {
			return l, true
		}
	}
	return Line{}, false
}

func hasReport(p *Plan, studentID, periodID string) bool {
	for _, r := range p.Periodic {
		if r.StudentID == studentID && r.PeriodID == periodID {
			return true
		}
	}
	return false
}

func hasStudent(p *Plan, id string) bool {
	for _, s := range p.Students {
		if s.ID == id {
			return true
		}
	}
	return false
}

func notExported(studentID string, periodIDs ...string) func(t *testing.T, p *Plan, xml string) {
	return func(t *testing.T, p *Plan, _ string) {
		for _, periodID := range periodIDs {
			if hasReport(p, studentID, periodID) {
				t.Errorf("report %s/%s is in the plan although it is blocked", studentID, periodID)
			}
		}
	}
}

func studentLeftOut(id string) func(t *testing.T, p *Plan, xml string) {
	return func(t *testing.T, p *Plan, _ string) {
		if hasStudent(p, id) {
			t.Errorf("student %s is in the plan although blocked", id)
		}
		for _, r := range p.Periodic {
			if r.StudentID == id {
				t.Errorf("a report of %s is in the plan", id)
			}
		}
	}
}

func contains(s string) func(t *testing.T, p *Plan, xml string) {
	return func(t *testing.T, _ *Plan, xml string) {
		if !strings.Contains(xml, s) {
			t.Errorf("the file does not contain %q", s)
		}
	}
}

func long(n int) string { return strings.Repeat("é", n) }

func TestCollectChecks(t *testing.T) {
	ecole := ecoleInput
	tests := []checkCase{
		// Blocking: the whole file.
		{name: "no head of establishment", mutate: func(in *Input) { in.Establishment.Heads = nil },
			kind: Blocking, msg: "aucun chef d'établissement", fileBlocked: true},
		{name: "head without a name", mutate: func(in *Input) { in.Establishment.Heads = []Head{{ID: "h1"}} },
			kind: Blocking, msg: "aucun chef d'établissement", fileBlocked: true},
		{name: "no director (1D)", in: ecole, mutate: func(in *Input) { in.Establishment.Heads[0].Civility = "" },
			kind: Blocking, msg: "aucun directeur", fileBlocked: true},
		{name: "year rolled over", mutate: func(in *Input) { in.YearRolledOver = true },
			kind: Blocking, msg: "plus possible une fois l'année changée", fileBlocked: true},
		{name: "no STS-web import", mutate: func(in *Input) { in.Directory.STSDivisions = nil },
			kind: Blocking, msg: "import STS-web", fileBlocked: true},
		{name: "no ONDE import (1D)", in: ecole, mutate: func(in *Input) { in.Directory.ONDEClassIDs = nil },
			kind: Blocking, msg: "import ONDE", fileBlocked: true},
		{name: "invalid UAI", mutate: func(in *Input) { in.Establishment.UAI = "0861234A" },
			kind: Blocking, msg: "lettre de contrôle", fileBlocked: true},
		{name: "unsupported version", mutate: func(in *Input) { in.Target.Version = "3.0" },
			kind: Blocking, msg: "non prise en charge", fileBlocked: true},
		{name: "nothing exportable", mutate: func(in *Input) {
			for i := range in.Periodic {
				in.Periodic[i].State = Draft
			}
			in.Cycles = nil
		}, kind: Blocking, msg: "aucun bilan exportable", fileBlocked: true},

		// Blocking: a student or a report.
		{name: "report not closed", mutate: func(in *Input) { in.Periodic[0].State = Draft },
			kind: Blocking, student: lea, msg: "bilan non fermé", check: notExported("s1", "t1")},
		{name: "closed without a date", mutate: func(in *Input) { in.Periodic[0].ClosedAt = time.Time{} },
			kind: Blocking, student: lea, msg: "sans date de fermeture", check: notExported("s1", "t1")},
		{name: "division not in STS-web", mutate: func(in *Input) { in.Students[3].Division = "4Z" },
			kind: Blocking, student: noe, msg: "absente du dernier import STS-web", check: studentLeftOut("s4")},
		{name: "division too long", mutate: func(in *Input) { in.Students[3].Division = strings.Repeat("D", 21) },
			kind: Blocking, student: noe, msg: "20 au plus", check: studentLeftOut("s4")},
		{name: "no division", mutate: func(in *Input) { in.Students[3].Division = "" },
			kind: Blocking, student: noe, msg: "sans division", check: studentLeftOut("s4")},
		{name: "no ELEVE_ID", mutate: func(in *Input) { in.Students[1].EleveID = " " },
			kind: Blocking, student: hugo, msg: "sans identifiant SIECLE (ELEVE_ID)", check: studentLeftOut("s2")},
		{name: "non-numeric ELEVE_ID in 7.0", mutate: func(in *Input) { in.Target.Version = Version7; in.Students[1].EleveID = "A12" },
			kind: Blocking, student: hugo, msg: "non numérique", check: studentLeftOut("s2")},
		{name: "shared ELEVE_ID", mutate: func(in *Input) { in.Students[1].EleveID = "100001" },
			kind: Blocking, student: hugo, msg: "partagé avec un autre élève", check: func(t *testing.T, p *Plan, xml string) {
				studentLeftOut("s1")(t, p, xml)
				studentLeftOut("s2")(t, p, xml)
			}},
		{name: "student listed twice", mutate: func(in *Input) { in.Students = append(in.Students, in.Students[2]) },
			kind: Blocking, student: ines, msg: "présent deux fois"},
		{name: "report of an unknown student", mutate: func(in *Input) { in.Periodic[0].StudentID = "ghost" },
			kind: Blocking, student: "identifiant local ghost", msg: "absent de la liste des élèves"},
		{name: "subject without SIECLE code", mutate: func(in *Input) { in.Subjects[4].Code = "" },
			kind: Blocking, student: lea, msg: "non rattachée à un code matière SIECLE", check: notExported("s1", "t1", "t2")},
		{name: "SIECLE code of the wrong length", mutate: func(in *Input) { in.Subjects[4].Code = "0206" },
			kind: Blocking, student: lea, msg: "6 caractères attendus", check: notExported("s1", "t1", "t2")},
		{name: "modality N refused", mutate: func(in *Input) { in.Subjects[4].Modality = "N" },
			kind: Blocking, student: lea, msg: "modalité d'élection N refusée", check: notExported("s1", "t1", "t2")},
		{name: "unknown modality", mutate: func(in *Input) { in.Subjects[4].Modality = "Z" },
			kind: Blocking, student: lea, msg: "inconnue de LSU", check: notExported("s1", "t1", "t2")},
		{name: "subject/modality pair twice in a report", mutate: func(in *Input) {
			in.Subjects = append(in.Subjects, Subject{ID: "fr2", Code: "020700", Modality: "S", Label: "Français renforcé"})
			in.Periodic[2].Subjects = append(in.Periodic[2].Subjects, SubjectResult{SubjectID: "fr2", TeacherIDs: []string{"t-fr"}, Average: mark(12)})
		}, kind: Blocking, student: hugo, msg: "apparaît deux fois dans le bilan", check: notExported("s2", "t1")},
		{name: "subject/modality pair declared twice", mutate: func(in *Input) {
			in.Subjects = append(in.Subjects, Subject{ID: "fr2", Code: "020700", Modality: "S", Label: "Français renforcé"})
		}, kind: Warning, msg: "déclarée deux fois", check: contains(`code="020700" modalite-election="S" libelle="Français"`)},
		{name: "subject without teacher", mutate: func(in *Input) { in.Periodic[2].Subjects[0].TeacherIDs = nil },
			kind: Blocking, student: hugo, msg: "sans enseignant", check: notExported("s2", "t1")},
		{name: "average above 20", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Average = mark(21) },
			kind: Blocking, student: hugo, msg: "hors de l'intervalle 0 à 20", check: notExported("s2", "t1")},
		{name: "positioning 5", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Positioning = 5 },
			kind: Blocking, student: hugo, msg: "positionnement 5 invalide", check: notExported("s2", "t1")},
		{name: "unknown evaluation status", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Status = 7 },
			kind: Blocking, student: hugo, msg: "statut d'évaluation 7 invalide", check: notExported("s2", "t1")},
		{name: "invalid period", mutate: func(in *Input) { in.Periods[1].Year = 25 },
			kind: Blocking, student: hugo, msg: "millésime 25 invalide", check: notExported("s2", "t2")},
		{name: "period ending before it starts", mutate: func(in *Input) { in.Periods[1].End = date(2025, 1, 1) },
			kind: Blocking, student: hugo, msg: "avant son début", check: notExported("s2", "t2")},
		{name: "unknown period", mutate: func(in *Input) { in.Periodic[2].PeriodID = "t9" },
			kind: Blocking, student: hugo, msg: "période absente de l'export"},
		{name: "two reports for one period", mutate: func(in *Input) { in.Periodic[3].PeriodID = "t1" },
			kind: Blocking, student: hugo, msg: "deux bilans périodiques pour la même période"},
		{name: "no subject left", mutate: func(in *Input) {
			in.Periodic[2].Subjects = []SubjectResult{{SubjectID: "fr", TeacherIDs: []string{"t-fr"}}}
		}, kind: Blocking, student: hugo, msg: "aucune matière à transmettre", check: notExported("s2", "t1")},
		{name: "socle domain missing", mutate: func(in *Input) { delete(in.Cycles[0].Socle, "MET_APP") },
			kind: Blocking, student: lea, msg: "sans positionnement : MET_APP", check: func(t *testing.T, p *Plan, _ string) {
				for _, c := range p.Cycles {
					if c.StudentID == "s1" {
						t.Error("the incomplete end-of-cycle report is in the plan")
					}
				}
			}},
		{name: "socle positioning 5", mutate: func(in *Input) { in.Cycles[0].Socle["CPD_FRA"] = 5 },
			kind: Blocking, student: lea, msg: "CPD_FRA (5)"},
		{name: "end-of-cycle report not closed", mutate: func(in *Input) { in.Cycles[1].State = Draft },
			kind: Blocking, student: hugo, msg: "bilan de fin de cycle non fermé"},
		{name: "cycle 5", mutate: func(in *Input) { in.Cycles[1].Cycle = 5 },
			kind: Blocking, student: hugo, msg: "cycle 5 invalide"},
		{name: "cycle twice", mutate: func(in *Input) { in.Cycles[1].StudentID = "s1" },
			kind: Blocking, student: lea, msg: "deux bilans de fin de cycle"},
		{name: "cycle year", mutate: func(in *Input) { in.Cycles[1].Year = 0 },
			kind: Blocking, student: hugo, msg: "millésime 0 invalide"},

		// Blocking in the 1st degree.
		{name: "no INE (1D)", in: ecole, mutate: func(in *Input) { in.Students[1].INE = ident.INE{} },
			kind: Blocking, student: malo, msg: "INE absent", check: studentLeftOut("p2")},
		{name: "malformed INE (1D)", in: ecole, mutate: func(in *Input) { in.Students[1].INE = ident.RawINE("12345") },
			kind: Blocking, student: malo, msg: "INE invalide", check: studentLeftOut("p2")},
		{name: "wrong INE check letter (1D)", in: ecole, mutate: func(in *Input) { in.Students[1].INE = ident.RawINE("9990000012A") },
			kind: Blocking, student: malo, msg: "lettre de contrôle", check: studentLeftOut("p2")},
		{name: "shared INE (1D)", in: ecole, mutate: func(in *Input) { in.Students[2].INE = in.Students[0].INE },
			kind: Blocking, student: zoe, msg: "INE partagé", check: studentLeftOut("p1")},
		{name: "class absent from ONDE (1D)", in: ecole, mutate: func(in *Input) { in.Students[2].ClassID = "4099" },
			kind: Blocking, student: zoe, msg: "absente du dernier import ONDE", check: studentLeftOut("p3")},
		{name: "class id not a number (1D)", in: ecole, mutate: func(in *Input) { in.Students[2].ClassID = "CE2" },
			kind: Blocking, student: zoe, msg: "un nombre est attendu", check: studentLeftOut("p3")},
		{name: "subject without LSU domain (1D)", in: ecole, mutate: func(in *Input) { in.Subjects[1].DomainCode = "MAT" },
			kind: Blocking, student: jade, msg: "domaine LSU du 1er degré", check: notExported("p1", "s1")},
		{name: "report without teacher (1D)", in: ecole, mutate: func(in *Input) { in.Periodic[0].HeadTeacherIDs = nil },
			kind: Blocking, student: jade, msg: "aucun enseignant pour ce bilan"},
		{name: "end-of-cycle report without teacher (1D)", in: ecole, mutate: func(in *Input) { in.Cycles[0].HeadTeacherIDs = nil },
			kind: Blocking, student: jade, msg: "aucun enseignant pour ce bilan de fin de cycle"},
		{name: "cycle 3 in the 1st degree", in: ecole, mutate: func(in *Input) { in.Cycles[0].Cycle = 3 },
			kind: Blocking, student: jade, msg: "cycle 3 invalide au 1er degré"},
		{name: "sub-domain positioning 9 (1D)", in: ecole, mutate: func(in *Input) { in.Periodic[0].Subjects[0].SubDomains[0].Positioning = 9 },
			kind: Blocking, student: jade, msg: "sous-domaine FRA-LEC invalide"},

		// Fixed, with the value written.
		{name: "appreciation truncated to 1000 (10.0)", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Appreciation = long(1200) },
			kind: Fixed, student: hugo, msg: "tronqué à 1000 caractères (1200", after: long(1000), check: contains(">" + long(1000) + "</appreciation>")},
		{name: "appreciation truncated to 600 (7.0)", mutate: func(in *Input) {
			in.Target.Version = Version7
			in.Periodic[2].Subjects[0].Appreciation = long(700)
		}, kind: Fixed, student: hugo, msg: "tronqué à 600 caractères", after: long(600), check: contains(">" + long(600) + "</appreciation>")},
		{name: "general appreciation truncated to 1000", mutate: func(in *Input) { in.Periodic[2].GeneralAppreciation = long(1001) },
			kind: Fixed, student: hugo, msg: "appréciation générale tronqué à 1000", after: long(1000)},
		{name: "synthesis truncated to 1500", mutate: func(in *Input) { in.Cycles[1].Synthesis = long(1600) },
			kind: Fixed, student: hugo, msg: "synthèse tronqué à 1500", after: long(1500), check: contains(">" + long(1500) + "</synthese>")},
		{name: "programme element truncated to 300", mutate: func(in *Input) { in.Elements[0].Label = long(301) },
			kind: Fixed, msg: "élément de programme tronqué à 300", after: long(300), check: contains(`libelle="` + long(300) + `"`)},
		{name: "subject label truncated to 40", mutate: func(in *Input) { in.Subjects[0].Label = strings.Repeat("Français ", 6) },
			kind: Fixed, msg: "libellé de la matière tronqué à 40", after: "Français Français Français Français Fran"},
		{name: "student name truncated to 100", mutate: func(in *Input) { in.Students[1].LastName = "BERTIN" + long(120) },
			kind: Fixed, student: "BERTIN" + long(120) + " Hugo", msg: "nom de l'élève tronqué à 100", after: "BERTIN" + long(94)},
		{name: "empty general appreciation written -", mutate: func(in *Input) { in.Periodic[2].GeneralAppreciation = " \n " },
			kind: Fixed, student: hugo, msg: "appréciation générale vide", after: "-", check: contains("<acquis-conseils>-</acquis-conseils>")},
		{name: "empty synthesis written -", mutate: func(in *Input) { in.Cycles[1].Synthesis = "" },
			kind: Fixed, student: hugo, msg: "synthèse vide", after: "-", check: contains("<synthese>-</synthese>")},
		{name: "graded subject without appreciation written -", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Appreciation = "" },
			kind: Fixed, student: hugo, msg: "appréciation vide", after: "-", check: contains("<appreciation>-</appreciation>")},
		{name: "unjustified absences above the total", mutate: func(in *Input) {
			in.Periodic[2].SchoolLife = &SchoolLife{Late: count(1), Absences: count(3), Unjustified: count(5), MissedHours: count(2)}
		}, kind: Fixed, student: hugo, msg: "supérieures au total des absences", after: "3",
			check: contains(`nb-retards="1" nb-abs-justifiees="0" nb-abs-injustifiees="3" nb-heures-manquees="2"`)},
		{name: "school life missing", mutate: func(in *Input) { in.Periodic[2].SchoolLife = nil },
			kind: Fixed, student: hugo, msg: "vie scolaire non renseignée", after: "0",
			check: contains(`nb-retards="0" nb-abs-justifiees="0" nb-abs-injustifiees="0" nb-heures-manquees="0"/>`)},
		{name: "one counter missing", mutate: func(in *Input) { in.Periodic[2].SchoolLife.Late = nil },
			kind: Fixed, student: hugo, msg: "nombre de retards non renseigné", after: "0"},
		{name: "counter capped at 999", mutate: func(in *Input) { in.Periodic[2].SchoolLife.MissedHours = count(1500) },
			kind: Fixed, student: hugo, msg: "999 écrit", after: "999", check: contains(`nb-heures-manquees="999"`)},
		{name: "negative counter", mutate: func(in *Input) { in.Periodic[2].SchoolLife.Late = count(-2) },
			kind: Fixed, student: hugo, msg: "nombre de retards négatif", after: "0"},
		{name: "class council date missing", mutate: func(in *Input) { in.Periodic[2].CouncilDate = time.Time{} },
			kind: Fixed, student: hugo, msg: "date du conseil de classe absente", after: "28/11/2025",
			check: contains(`eleve-ref="EL_2" periode-ref="PER_2025_1_3" date-conseil-classe="2025-11-28"`)},
		{name: "class council date missing, closed late in the evening", mutate: func(in *Input) {
			// 23:30 UTC on 27 November is 00:30 on the 28th in Paris: the
			// council date is the schools' day, as the lock date is.
			in.Periodic[2].CouncilDate = time.Time{}
			in.Periodic[2].ClosedAt = time.Date(2025, 11, 27, 23, 30, 0, 0, time.UTC)
		}, kind: Fixed, student: hugo, msg: "date du conseil de classe absente", after: "28/11/2025",
			check: contains(`eleve-ref="EL_2" periode-ref="PER_2025_1_3" date-conseil-classe="2025-11-28"`)},
		{name: "modality N mapped", mutate: func(in *Input) { in.Subjects[4].Modality = "n"; in.Config.ModalityN = "O" },
			kind: Fixed, msg: "modalité d'élection N", after: "O", check: contains(`code="020600" modalite-election="O"`)},
		{name: "teacher without STS id", mutate: func(in *Input) { in.Teachers[2].STSID = "" },
			kind: Fixed, msg: "sans identifiant STS-web valide", after: "autre " + substituteSTSID("t-an", nil),
			check: contains(`type="autre" id-sts="` + substituteSTSID("t-an", nil) + `"`)},
		{name: "teacher with an invalid STS id", mutate: func(in *Input) { in.Teachers[2].STSID = "X-12" },
			kind: Fixed, msg: "sans identifiant STS-web valide", check: contains(`type="autre"`)},
		{name: "teacher without STS type", mutate: func(in *Input) { in.Teachers[0].STSType = "" },
			kind: Fixed, msg: "type STS-web", after: "epp", check: contains(`type="epp" id-sts="4321"`)},
		{name: "control characters removed", mutate: func(in *Input) { in.Periodic[2].GeneralAppreciation = "Bien\x00 \x1b[1mtravaillé\r\nbravo" },
			kind: Fixed, student: hugo, msg: "caractères non autorisés", after: "Bien [1mtravaillé\nbravo",
			check: contains("<acquis-conseils>Bien [1mtravaillé\nbravo</acquis-conseils>")},
		{name: "end-of-cycle creation date missing", mutate: func(in *Input) { in.Cycles[1].CreatedAt = time.Time{} },
			kind: Fixed, student: hugo, msg: "date de création du bilan de fin de cycle absente", after: "20/06/2026",
			check: contains(`cycle="4" millesime="2025" date-creation="2026-06-20"`)},
		{name: "unknown head of establishment", mutate: func(in *Input) { in.Periodic[6].HeadID = "h9" },
			kind: Fixed, student: noe, msg: "responsable d'établissement du bilan inconnu", after: "Claire FONTAINE"},
		{name: "1D creation date missing", in: ecole,
			kind: Fixed, student: jade, msg: "date de création du bilan absente", after: "02/02/2026", check: contains(`date-creation="2026-02-02"`)},

		// Warnings.
		{name: "period before the first day of term", mutate: func(in *Input) { in.Periods[0].TermStart = date(2025, 9, 2) },
			kind: Warning, msg: "avant la rentrée du 02/09/2025"},
		{name: "period before the student's entry", kind: Warning, student: ines, msg: "avant l'entrée de l'élève le 06/10/2025",
			check: contains(`eleve-ref="EL_3" periode-ref="PER_2025_1_3" date-conseil-classe="2025-11-27" date-scolarite="2025-10-06"`)},
		{name: "class council before the schooling date", mutate: func(in *Input) { in.Periodic[2].CouncilDate = date(2025, 8, 30) },
			kind: Warning, student: hugo, msg: "antérieur à la date de scolarité"},
		{name: "positioning instead of averages", mutate: func(in *Input) {
			in.Periodic[2].Subjects[1].Average = nil
			in.Periodic[2].Subjects[1].Positioning = 3
		}, kind: Warning, student: hugo, msg: "1 matière évaluée en positionnements", check: contains(`positionnement="3"`)},
		{name: "averages instead of positioning", mutate: func(in *Input) { in.Config.Positioning = ModePositioning },
			kind: Warning, student: hugo, msg: "matières évaluées en moyennes"},

		// Ignored.
		{name: "unknown support measure", mutate: func(in *Input) { in.Periodic[2].Support = []SupportMeasure{{Code: "RASED"}} },
			kind: Ignored, student: hugo, msg: "modalité d'accompagnement « RASED » inconnue"},
		{name: "empty subject line", mutate: func(in *Input) {
			in.Periodic[2].Subjects = append(in.Periodic[2].Subjects, SubjectResult{SubjectID: "lat", TeacherIDs: []string{"t-fr"}})
		}, kind: Ignored, student: hugo, msg: "sans moyenne, positionnement, statut ni appréciation"},
		{name: "average with a status", mutate: func(in *Input) { in.Periodic[2].Subjects[0].Status = NotGraded },
			kind: Ignored, student: hugo, msg: "déclaré non noté", check: contains(`statut-evaluation-eleve="1"`)},
		{name: "unknown teacher", mutate: func(in *Input) { in.Periodic[2].HeadTeacherIDs = []string{"nobody"} },
			kind: Ignored, student: hugo, msg: "professeur principal inconnu"},
		{name: "unknown socle domain", mutate: func(in *Input) { in.Cycles[1].Socle["XXX"] = 2 },
			kind: Ignored, student: hugo, msg: "domaines du socle inconnus non transmis : XXX"},
		{name: "unknown complement", mutate: func(in *Input) { in.Cycles[1].Complement = &Option{Code: "ZZZ", Level: 1} },
			kind: Ignored, student: hugo, msg: "enseignement de complément : code « ZZZ » inconnu"},
		{name: "invalid national code", mutate: func(in *Input) { in.Subjects[3].NationalCode = "1001" },
			kind: Ignored, msg: "code matière national"},
		{name: "student without report", mutate: func(in *Input) { in.Periodic = in.Periodic[:6] },
			kind: Ignored, student: noe, msg: "aucun bilan à exporter", check: studentLeftOut("s4")},
		{name: "non-evalue in 1.0", in: ecole, mutate: func(in *Input) { in.Target.Version = Version1_0 },
			kind: Ignored, student: jade, msg: "schéma 1.0 ne la connaît pas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := tt.in
			if build == nil {
				build = collegeInput
			}
			in := build()
			if tt.mutate != nil {
				tt.mutate(in)
			}
			plan, rep := Collect(in)
			l, ok := findLine(rep, tt.kind, tt.student, tt.msg)
			if !ok {
				t.Fatalf("no %s line for %q containing %q; lines:\n%s", tt.kind, tt.student, tt.msg, dump(rep))
			}
			if tt.after != "" && l.After != tt.after {
				t.Errorf("written value = %q, want %q", l.After, tt.after)
			}
			if tt.kind == Fixed && l.Before == l.After {
				t.Errorf("a fix line without a change: before = after = %q", l.Before)
			}
			if rep.FileBlocked != tt.fileBlocked {
				t.Fatalf("FileBlocked = %v, want %v", rep.FileBlocked, tt.fileBlocked)
			}
			if tt.fileBlocked {
				if plan != nil {
					t.Fatal("a plan is returned for a blocked file")
				}
				return
			}
			if plan == nil {
				t.Fatalf("no plan; lines:\n%s", dump(rep))
			}
			var buf bytes.Buffer
			if err := Generate(&buf, plan); err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if err := CheckReferences(bytes.NewReader(buf.Bytes())); err != nil {
				t.Fatalf("CheckReferences: %v", err)
			}
			if tt.check != nil {
				tt.check(t, plan, buf.String())
			}
			// Whatever was blocked or fixed, what is offered is valid.
			if haveXmllint(t) {
				if err := validFile(t, schema(t, plan.Target.Degree, plan.Target.Version), buf.Bytes()); err != nil {
					t.Errorf("the file is invalid: %v", err)
				}
			}
		})
	}
}

func dump(rep *Report) string {
	var b strings.Builder
	for _, l := range rep.Lines {
		b.WriteString("  " + string(l.Kind) + " | " + l.Student + " | " + l.Period + " | " + l.Subject + " | " + l.Message + "\n")
	}
	return b.String()
}

// TestCountsAndStudents checks the summary of a report with one blocked
// report and one blocked student.
func TestCountsAndStudents(t *testing.T) {
	in := collegeInput()
	in.Periodic[0].State = Draft        // Léa T1
	in.Students[3].Division = "unknown" // Noé
	plan, rep := Collect(in)
	if plan == nil {
		t.Fatal("no plan")
	}
	c := rep.Counts
	if c.StudentsExported != 3 || c.StudentsBlocked != 2 || c.PeriodicReports != 5 || c.CycleReports != 2 {
		t.Errorf("counts = %+v, want 3 exported, 2 blocked, 5 periodic, 2 cycle", c)
	}
	if c.Blocking != len(rep.Filter(Blocking)) || c.Warnings != len(rep.Filter(Warning)) {
		t.Errorf("counts %+v do not match the lines", c)
	}
}

// TestNoINEInReport makes every 1D check fire and looks for the INEs in
// every form the report takes.
func TestNoINEInReport(t *testing.T) {
	in := ecoleInput()
	in.Students[1].INE = ident.RawINE("9990000012A") // wrong check letter
	in.Students[2].INE = in.Students[0].INE          // shared
	in.Students = append(in.Students, Student{ID: "p4", LastName: "DOUBLE", FirstName: "Léo", INE: ident.RawINE("12345678"), ClassID: "4021"})
	plan, rep := Collect(in)
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	planJS, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	for _, ine := range []string{"999000001HA", "9990000012A", "12345678", "9990000012R", "999000003AC"} {
		for name, out := range map[string]string{"CSV": buf.String(), "JSON": string(js), "plan JSON": string(planJS), "dump": dump(rep)} {
			if strings.Contains(out, ine) {
				t.Errorf("the %s report holds an INE", name)
			}
		}
	}
	if len(rep.Filter(Blocking)) < 3 {
		t.Errorf("expected the INE checks to block; lines:\n%s", dump(rep))
	}
}

func TestTextHelpers(t *testing.T) {
	tests := []struct {
		in        string
		max       int
		required  bool
		multiline bool
		want      string
	}{
		{"  bonjour  ", 10, true, false, "bonjour"},
		{"", 10, true, false, "-"},
		{" \t\n", 10, false, true, ""},
		{"a\r\nb\rc", 10, true, true, "a\nb\nc"},
		{"a\nb\tc", 10, true, false, "a b c"},
		{"éèêëàâîïôû", 4, true, false, "éèêë"},
		{"ab   cd", 4, true, false, "ab"},
		{"\xff\xfeok\x01", 10, true, false, "ok"},
		{"\u00a0", 10, true, false, "-"},
		{"😀😀😀", 2, true, false, "😀😀"},
	}
	for _, tt := range tests {
		got := fit(tt.in, tt.max, tt.required, tt.multiline)
		if got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if utf8.RuneCountInString(got) > tt.max {
			t.Errorf("fit(%q) longer than %d", tt.in, tt.max)
		}
		if again := fit(got, tt.max, tt.required, tt.multiline); again != got {
			t.Errorf("fit is not idempotent on %q: %q", got, again)
		}
	}
	marks := []struct {
		v             float64
		numeric, text string
	}{
		{15, "15.00", "15/20"},
		{15.456, "15.46", "15.46/20"},
		{0, "0.00", "0/20"},
		{20, "20.00", "20/20"},
		{9.999, "10.00", "10/20"},
		{12.345, "12.35", "12.35/20"},
	}
	for _, m := range marks {
		if got := markNumeric(m.v); got != m.numeric {
			t.Errorf("markNumeric(%v) = %q, want %q", m.v, got, m.numeric)
		}
		if got := markText(m.v); got != m.text || len(got) > 8 {
			t.Errorf("markText(%v) = %q, want %q (at most 8 characters)", m.v, got, m.text)
		}
	}
	a := newIDAllocator()
	for _, want := range []string{"DI_020700_S", "DI_020700_S_2", "DI_a_b", "DI_a_b_2"} {
		hint := "020700_S"
		if strings.HasPrefix(want, "DI_a") {
			hint = "a b"
			if want == "DI_a_b_2" {
				hint = "a/b"
			}
		}
		if got := a.next("DI_", hint); got != want {
			t.Errorf("next(%q) = %q, want %q", hint, got, want)
		}
	}
}
