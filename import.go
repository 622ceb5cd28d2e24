package sillage

import "time"

// ImportReport is the stored report of a directory import (imports.md
// rule 9), kept per establishment until the changeover deletes it. Report
// is the JSON document internal/directory writes; it never holds an INE.
type ImportReport struct {
	UAI        UAI
	ID         int64
	Source     string // siecle, responsables, nomenclature, sts, aaf, onde
	FileName   string
	SchoolYear SchoolYear
	CreatedAt  time.Time
	CreatedBy  int64 // the person who imported (0: command line, operator)
	Report     string
}

// AAFStructure is an AAF structure (EtabEducNat) attached to an establishment.
type AAFStructure struct {
	UAI    UAI
	JoinID string // ENTStructureJointure
	Name   string
}

// PersonLocation says where a person with an AAF join id is: the AAF
// Delta import routes a modification or a deletion with it.
type PersonLocation struct {
	UAI   UAI
	ID    int64
	Role  Role
	AAFID string
}
