// Package livret is the Livret Scolaire of an establishment in the
// database: the entry of the periodic and end-of-cycle reports (who may
// enter what, the proposal of a positioning from the period's competence
// results, closing and reopening with the PDF archived at each closing),
// and the export to LSU, which reads the store into the plain model of
// package lsu, has it checked, generated and validated, and keeps the file
// and its report with the audit entry.
//
// Package lsu stays free of the store; this package is its database adapter
// and the one place the web pages and the command line share.
//
// The 1st degree needs the INE, which Sillage never stores (transfer.md 2):
// it is read from the ONDE extraction given with the export, matched to the
// students by name, birth date and class, written into the file and
// nowhere else. For the same reason a 1st-degree file is handed over once
// and not kept; its report is.
package livret
