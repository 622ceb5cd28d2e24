package sillage

import (
	"time"
)

// DigitalSkillCodes are the 16 digital skills of the CRCN that the Livret
// positions in cycle 3 (CM2 and 6e), as LSU codes them, in LSU's order.
var DigitalSkillCodes = []string{
	"CN_INF_MEN", "CN_INF_GER", "CN_INF_TRA",
	"CN_COM_INT", "CN_COM_PAR", "CN_COM_COL", "CN_COM_SIN",
	"CN_CRE_TEX", "CN_CRE_MUL", "CN_CRE_ADA", "CN_CRE_PRO",
	"CN_PRO_SEC", "CN_PRO_DON", "CN_PRO_SAN",
	"CN_ENV_RES", "CN_ENV_EVO",
}

// DigitalSkills is a student's positioning on the digital skills in a
// periodic report: a level of 1 to 3 per skill (an absent skill is not
// positioned) and an optional appreciation.
type DigitalSkills struct {
	ReportID     int64
	Levels       map[string]int
	Appreciation string
}

// IsZero reports whether nothing is entered.
func (d DigitalSkills) IsZero() bool { return len(d.Levels) == 0 && d.Appreciation == "" }

// EncodeDigitalLevels writes the levels as stored: "CN_INF_MEN:2,CN_PRO_DON:1",
// in the order of DigitalSkillCodes; unknown skills and levels out of 1–3
// are dropped.
func EncodeDigitalLevels(m map[string]int) string { return encodeLevels(m, DigitalSkillCodes, 1, 3) }

// DecodeDigitalLevels reads what EncodeDigitalLevels wrote; nil when
// nothing is positioned.
func DecodeDigitalLevels(s string) map[string]int { return decodeLevels(s, DigitalSkillCodes, 1, 3) }

// ClassDigitalSkills is the appreciation of the digital skills common to a
// division for a period (LSU competences-numeriques-commun).
type ClassDigitalSkills struct {
	UAI        UAI
	PeriodID   int64
	DivisionID int64
	Comment    string
	UpdatedAt  time.Time
	UpdatedBy  int64
}
