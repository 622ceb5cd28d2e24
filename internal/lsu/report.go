package lsu

import (
	"bufio"
	"fmt"
	"io"

	"github.com/sillage/sillage/internal/csvout"
)

// Kind classifies a report line.
type Kind string

const (
	Blocking Kind = "blocking" // the student's report (or the whole file) is not exported
	Fixed    Kind = "fixed"    // a value was changed so that LSU accepts it
	Ignored  Kind = "ignored"  // a value was left out of the file
	Warning  Kind = "warning"  // exported as is, but LSU may reject or misread it
)

// Label is the French name shown to administrators.
func (k Kind) Label() string {
	switch k {
	case Blocking:
		return "Bloquant"
	case Fixed:
		return "Corrigé"
	case Ignored:
		return "Ignoré"
	case Warning:
		return "Avertissement"
	}
	return string(k)
}

// Line is one finding of Collect. Student lines name the student and the
// division or class; file lines leave them empty. No line ever holds an INE.
type Line struct {
	Kind     Kind   `json:"kind"`
	Student  string `json:"student,omitempty"`  // "NOM Prénom"
	Division string `json:"division,omitempty"` // division code (2D) or class label (1D)
	Period   string `json:"period,omitempty"`   // e.g. "Trimestre 1/3 2025-2026", "Fin de cycle 4"
	Subject  string `json:"subject,omitempty"`
	Message  string `json:"message"`
	Before   string `json:"before,omitempty"` // fixes: the original value
	After    string `json:"after,omitempty"`  // fixes: the value written

	// A blocking line says what to do (Fix, in French) and where: Place is
	// the kind of page, StudentRef and PeriodRef the local ids of the
	// student and period it concerns, which the caller turns into the
	// address of the page (Link).
	Fix        string `json:"fix,omitempty"`
	Place      Place  `json:"place,omitempty"`
	StudentRef string `json:"student_ref,omitempty"`
	PeriodRef  string `json:"period_ref,omitempty"`
	GroupRef   string `json:"group_ref,omitempty"` // an EPI or AP group (PlaceProjectEntry)
	Link       string `json:"link,omitempty"`
}

// Place is where a blocking line is fixed.
type Place string

const (
	PlaceReport   Place = "report"   // the student's periodic report of the period
	PlaceCycle    Place = "cycle"    // the student's end-of-cycle report
	PlacePeriods  Place = "periods"  // the periods and first day of term
	PlaceImports  Place = "imports"  // a directory import (SIECLE, STS-web, ONDE)
	PlaceAccounts Place = "accounts" // the establishment's people (its head)
	PlaceExport   Place = "export"   // the export form: selection, ONDE file
	PlaceSettings Place = "settings" // the export settings (modality N…)
	PlaceRollover Place = "rollover" // the changeover of the year
)

// Counts sums up a report.
type Counts struct {
	Blocking int `json:"blocking"`
	Fixed    int `json:"fixed"`
	Ignored  int `json:"ignored"`
	Warnings int `json:"warnings"`

	StudentsExported int `json:"students_exported"`
	StudentsBlocked  int `json:"students_blocked"` // students with at least one blocked report
	PeriodicReports  int `json:"periodic_reports"` // periodic reports in the file
	CycleReports     int `json:"cycle_reports"`    // end-of-cycle reports in the file
}

// Report is what Collect found, per student. It is meant to be shown,
// downloaded as CSV and kept with the export in the audit log.
type Report struct {
	Target Target `json:"target"`
	// FileBlocked is set when nothing can be generated; the blocking lines
	// without a student say why.
	FileBlocked bool   `json:"file_blocked"`
	Lines       []Line `json:"lines"`
	Counts      Counts `json:"counts"`
}

func (r *Report) add(l Line) {
	r.Lines = append(r.Lines, l)
	switch l.Kind {
	case Blocking:
		r.Counts.Blocking++
	case Fixed:
		r.Counts.Fixed++
	case Ignored:
		r.Counts.Ignored++
	case Warning:
		r.Counts.Warnings++
	}
}

// blockFile records a reason why no file can be generated, with what to
// do and where.
func (r *Report) blockFile(place Place, msg, fix string) {
	r.FileBlocked = true
	r.add(Line{Kind: Blocking, Message: msg, Fix: fix, Place: place})
}

// Filter returns the lines of one kind.
func (r *Report) Filter(k Kind) []Line {
	var out []Line
	for _, l := range r.Lines {
		if l.Kind == k {
			out = append(out, l)
		}
	}
	return out
}

// csvHeader is the first row of the CSV report, in French.
var csvHeader = []string{"Type", "Élève", "Division", "Période", "Matière", "Message", "Valeur d'origine", "Valeur écrite", "À faire", "Page"}

// WriteCSV writes the report for spreadsheets (csvout), with the CRLF line
// ends spreadsheet software on Windows expects.
func (r *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	cw := csvout.NewWriter(bw)
	cw.UseCRLF()
	cw.Write(csvHeader)
	for _, l := range r.Lines {
		cw.Write([]string{l.Kind.Label(), l.Student, l.Division, l.Period, l.Subject, l.Message, l.Before, l.After, l.Fix, l.Link})
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("écriture du rapport CSV : %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("écriture du rapport CSV : %w", err)
	}
	return nil
}
