package sillage

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// ClassSchoolLife is the school-life comment common to a division for a
// period (LSU vie-scolaire-commun), written by the vie scolaire (CPE) or
// the head of establishment.
type ClassSchoolLife struct {
	UAI        UAI
	PeriodID   int64
	DivisionID int64
	Comment    string
	UpdatedAt  time.Time
	UpdatedBy  int64
}

// SocleDomains are the 8 domains of the socle commun, in the order LSU
// lists them.
var SocleDomains = []string{"CPD_FRA", "CPD_ETR", "CPD_SCI", "CPD_ART", "MET_APP", "FRM_CIT", "SYS_NAT", "REP_MND"}

// PeriodicExtras are the parts of a periodic report around its subjects:
// the "devoirs faits" text and the optional socle positioning of the term
// (domain code → 0–4, 0 = dispensé; an absent domain is not positioned).
type PeriodicExtras struct {
	ReportID     int64
	HomeworkDone string
	Socle        map[string]int
}

// EncodeSocle writes a term's socle as stored: "CPD_FRA:3,SYS_NAT:0", in
// the order of SocleDomains; unknown domains and values out of 0–4 are
// dropped.
func EncodeSocle(m map[string]int) string { return encodeLevels(m, SocleDomains, 0, 4) }

// DecodeSocle reads what EncodeSocle wrote; nil when nothing is positioned.
func DecodeSocle(s string) map[string]int { return decodeLevels(s, SocleDomains, 0, 4) }

// encodeLevels writes levels by code as stored: "CODE:n,CODE:n", in the
// order of codes; unknown codes and levels out of lo–hi are dropped.
func encodeLevels(m map[string]int, codes []string, lo, hi int) string {
	var parts []string
	for _, c := range codes {
		if v, ok := m[c]; ok && v >= lo && v <= hi {
			parts = append(parts, c+":"+strconv.Itoa(v))
		}
	}
	return strings.Join(parts, ",")
}

// decodeLevels reads what encodeLevels wrote, dropping what it would have
// dropped; nil when nothing is left.
func decodeLevels(s string, codes []string, lo, hi int) map[string]int {
	if s == "" {
		return nil
	}
	m := map[string]int{}
	for _, p := range strings.Split(s, ",") {
		c, v, ok := strings.Cut(p, ":")
		n, err := strconv.Atoi(v)
		if ok && err == nil && slices.Contains(codes, c) && n >= lo && n <= hi {
			m[c] = n
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// PostalAddress is a postal address, as SIECLE gives a guardian's.
type PostalAddress struct {
	Lines      []string // up to four lines
	PostalCode string
	Town       string // LIBELLE_POSTAL, or the foreign town
}

// IsZero reports whether nothing of the address is known.
func (a PostalAddress) IsZero() bool {
	return len(a.Lines) == 0 && a.PostalCode == "" && a.Town == ""
}

// GuardianContact is a legal guardian of a student with what the Livret
// sends to LSU: civility, names (or, for a legal person, its
// denomination), rank, link and postal address.
type GuardianContact struct {
	StudentID    int64
	ParentID     int64
	Civility     string
	LastName     string
	FirstName    string
	Denomination string // a legal person's name (Aide sociale à l'enfance…); "" for a natural person
	Rank         int    // 1 first legal guardian, 2 second, 0 not known
	Relation     string // CODE_PARENTE or AAF link, as received
	Address      PostalAddress
}

// GuardianDetails is what the SIECLE guardians import keeps of a guardian
// for the Livret: its postal address and, for a legal person, its
// denomination.
type GuardianDetails struct {
	Address      PostalAddress
	Denomination string
}
