// Package directory applies the national directory files to the
// establishments: SIECLE (students, guardians, nomenclature), STS-web
// (teachers, services, head teachers), AAF (every population, and the
// establishments themselves) and ONDE (1st-degree pupils). It implements
// imports.md: the rules of an import, the import report, and the refusal
// during the changeover window of rollover.md.
//
// The formats are read by internal/siecle, internal/sts, internal/aaf and
// internal/onde, and internal/ident turns an INE into the unqid. It writes through the store only, and the store's
// DeactivateStudents and ReactivateStudents keep the transfer index of
// transfer.md §4 in step with the students' activity.
//
// Invariants:
//
//   - Nobody is lost. Presence is decided by identity, never by acceptance:
//     a student a complete file names in a record it rejects is present,
//     and is left as they are — neither deactivated, nor put in the
//     transfer index, nor moved to another division (presence.go). Staff
//     named by a rejected STS-web or AAF record keep their services.
//   - Rejects are left as is and listed in the report with their reason
//     and place in the file, never the INE. A file rejecting more than
//     DefaultMaxRejectShare of its records is refused whole.
//   - Old files are held: a file of a school year before the
//     establishment's current one, or older than the last file applied
//     from the same source, is held (OldFileError) until confirmed; so is
//     a file that would deactivate more than DefaultMassDeactivation of a
//     population (MassDeactivationError), its upload kept sealed by
//     HeldImports for the confirmation.
//   - One establishment, one transaction: an import is atomic and
//     idempotent (imports.md rule 7); a dry run writes nothing.
//
// The order of an import: the file is opened (Input: plain XML, a ZIP of
// one XML file, or CSV) and read as a stream; AAF files, which cover many
// establishments, are spilled to disk by establishment. Then, in one
// transaction per establishment: the establishment is checked (or
// created, AAF); the closed year and the file's age are checked against
// its sillage.YearState and its last import; the file's records are
// planned against the establishment's people and the mass-deactivation
// guards checked before anything is written; the divisions are created,
// the students created, updated, reactivated and deactivated (the store
// writing the transfer index), the groups, accounts and guardians written;
// the share of rejects is checked; the report, the audit entry and the
// transfer run's job are recorded. Each stage ends at a failpoint
// (Importer.Failpoint), where the tests fail the import to show it leaves
// nothing behind.
package directory
