// Package lsu exports the Livret Scolaire to the national LSU application
// (lsu.md): it collects an establishment's reports from a plain input model,
// checks and fixes them into a Plan with a per-student Report, generates the
// "import éditeur" XML file of the target schema version, and validates it
// before it is offered: always with the built-in rules of that version
// (package lsurules, generated from the official XSDs), and also with
// xmllint against the official XSD when a schema folder is configured.
//
//	plan, report := lsu.Collect(&input)          // checks, fixes, report lines
//	err := lsu.Generate(w, plan)                 // the XML, deterministic
//	err = lsu.ValidateRules(target, data)        // the built-in rules
//	err = lsu.Validate(ctx, xsdPath, xmlPath)    // xmllint --stream
//	report, err = lsu.Export(ctx, &input, xsdDir, out) // all of it, atomically ("" : rules only)
//
// The package never touches a database: another package fills Input from
// the store. The INE (first degree only) is held as an ident.INE, written
// into the file and nowhere else: no report line, error or log carries it,
// and validator messages are masked.
//
// Decisions worth knowing, each explained where it is made:
//
//   - A report that cannot be sent whole is not sent at all (blocking line):
//     LSU replaces a student's report entirely at each import, so a report
//     missing a subject would erase that subject in LSU. Subjects without a
//     SIECLE code, with a refused modality N, or twice in one report block
//     the report; empty subject lines are left out (ignored line).
//   - A teacher without an STS-web id is written with type "autre" and a
//     stable stand-in id-sts (9 digits from a hash of the local id), as OENT
//     does, with a fix line: 10.0 requires a positive integer, and dropping
//     the teacher would drop the subjects they teach.
//   - School life holds total absences and unjustified ones, as SACoche
//     does: LSU's justified count is the difference, and "more unjustified
//     than total" is the correction the peers make.
//   - date-verrou is written in 7.0 (optional there), never in 10.0 (an
//     error), always in the 1st degree (required). Averages are decimals in
//     10.0 and "15.5/20" text before; every evaluation status maps to
//     eleve-non-note in 7.0, which has no other.
//   - xmllint --stream does not detect duplicate xs:ID values, and xmllint
//     in any mode lets xs:IDREF values that point nowhere and empty
//     xs:IDREFS through (libxml2 2.9.14, checked): Generate checks them as
//     it writes, CheckReferences checks any file, and the built-in rules
//     refuse them (TestRulesAgreeWithXmllint counts them apart).
//   - The 1st-degree domain codes (7 characters, "FRA-RAC") come from the
//     caller: no LSU 1st-degree nomenclature is in the reference files.
package lsu
