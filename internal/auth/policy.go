// Package auth holds accounts' security: the role × action policy of
// privacy.md, password hashing, sign-in rate limiting and sessions.
package auth

import (
	"sort"

	"github.com/sillage/sillage"
)

// Action is something a request does. Every page and API route names one;
// the policy says which roles may do it. Reach inside the establishment
// (a teacher's divisions, a parent's children) is checked by the handlers
// with the Scope functions, always together with the establishment.
type Action string

const (
	// SignedIn is any signed-in account, before or without an
	// establishment: the first sign-in steps, one's own account.
	SignedIn Action = "account.signed_in"

	// Everyone signed in to an establishment.
	ViewHome     Action = "home.view"
	ReadMessages Action = "messages.read"

	// A student's own record.
	ViewOwnRecord     Action = "record.own.view"
	EditOwnSheets     Action = "record.own.sheets" // attach files to their sheets
	DownloadOwnRecord Action = "record.own.download"
	// A departed student: the one page left to them.
	DepartedDownload Action = "record.departed.download"

	// A parent's children.
	ViewChildRecord     Action = "record.child.view"
	DownloadChildRecord Action = "record.child.download"

	// Students' records, within the reach of the role (teacher: their
	// divisions and groups; director, administrator: everyone).
	ViewStudents       Action = "students.view"
	ViewLastSignIns    Action = "students.last_signin"
	EditEvaluations    Action = "evaluations.edit"
	EvaluateSheets     Action = "sheets.evaluate"
	RestoreTrash       Action = "trash.restore"
	DownloadAnyRecord  Action = "record.any.download"
	ViewReferentials   Action = "referentials.view"
	ManageReferentials Action = "referentials.manage"
	EnterReports       Action = "lsu.reports.enter"
	ReopenReports      Action = "lsu.reports.reopen" // a closed Livret Scolaire report
	// EnterClassSchoolLife: the school-life comment of a division for a
	// period (LSU vie-scolaire-commun), written by the vie scolaire (staff:
	// the CPE) or the direction; no student's data is shown with it.
	EnterClassSchoolLife Action = "lsu.classschoollife.enter"

	// Establishment administration.
	ViewLogins Action = "accounts.logins" // logins and external (join) ids
	// ViewBirthDate: a student's birth date, in their record and its
	// download. privacy.md gives directors and teachers names and results
	// only; the student and their guardians see their own.
	ViewBirthDate Action = "students.birthdate"
	// ViewAllSignIns: the last sign-in dates of every user of the
	// establishment (privacy.md: the director's row), names only.
	ViewAllSignIns    Action = "accounts.signins"
	ManageAccounts    Action = "accounts.manage"
	IssueCredentials  Action = "accounts.credentials"
	ManageAPITokens   Action = "api.tokens"
	ImportDirectory   Action = "directory.import"
	TransferSettings  Action = "transfer.settings"
	TransferDashboard Action = "transfer.dashboard"
	ReadAudit         Action = "audit.read"
	ExportLSU         Action = "lsu.export"
	ManagePeriods     Action = "periods.manage"
	ManageAccessBlock Action = "rollover.access"
	ViewArchives      Action = "archives.view"
	ViewRollover      Action = "rollover.view" // the establishment's changeover: its steps and reports
	RecordsBulk       Action = "records.bulk"  // JSON import/export of the learning record

	// Class spaces (a division's shared documents) and groups' lifetime.
	ViewClassSpaces Action = "classspaces.view" // reach: the division's students and teachers, the direction
	PostClassSpace  Action = "classspaces.post" // reach: the division's teachers, the space's managers
	ManageGroups    Action = "groups.manage"    // reach: the group's managers, administrators

	// The operator of the instance.
	OperatorHome      Action = "operator.home"
	OperatorKind      Action = "operator.kind" // an establishment's kind (what it is offered depends on it)
	OperatorRollover  Action = "operator.rollover"
	OperatorJobs      Action = "operator.jobs"
	OperatorAudit     Action = "operator.audit"
	OperatorRetention Action = "operator.retention"
	OperatorPrivacy   Action = "operator.privacy"
	OperatorSSO       Action = "operator.sso" // which single sign-on providers each establishment uses
	// OperatorFederation: the instance's identity and its declared peers.
	OperatorFederation Action = "operator.federation"
)

var (
	student       = sillage.RoleStudent
	parent        = sillage.RoleParent
	teacher       = sillage.RoleTeacher
	director      = sillage.RoleDirector
	administrator = sillage.RoleAdministrator
	staff         = sillage.RoleStaff
)

// establishmentPolicy is privacy.md's confidentiality table, as actions.
var establishmentPolicy = map[Action][]sillage.Role{
	ViewHome:     {student, parent, teacher, director, administrator, staff},
	ReadMessages: {student, parent, teacher, director, administrator, staff},

	ViewOwnRecord:     {student},
	EditOwnSheets:     {student},
	DownloadOwnRecord: {student},

	ViewChildRecord:     {parent},
	DownloadChildRecord: {parent},

	ViewStudents:       {teacher, director, administrator},
	ViewLastSignIns:    {teacher, director, administrator},
	EditEvaluations:    {teacher, administrator},
	EvaluateSheets:     {teacher, administrator},
	RestoreTrash:       {teacher, administrator},
	DownloadAnyRecord:  {director, administrator},
	ViewReferentials:   {teacher, director, administrator},
	ManageReferentials: {administrator},
	EnterReports:       {teacher, director, administrator},
	ReopenReports:      {director, administrator},

	EnterClassSchoolLife: {director, administrator, staff},

	ViewLogins:        {administrator},
	ViewBirthDate:     {student, parent, administrator},
	ViewAllSignIns:    {director, administrator},
	ManageAccounts:    {administrator},
	IssueCredentials:  {administrator},
	ManageAPITokens:   {administrator},
	ImportDirectory:   {administrator},
	TransferSettings:  {director, administrator},
	TransferDashboard: {director, administrator},
	ReadAudit:         {administrator},
	ExportLSU:         {director, administrator},
	ManagePeriods:     {director, administrator},
	ManageAccessBlock: {administrator},
	ViewArchives:      {director, administrator},
	ViewRollover:      {director, administrator},
	ViewClassSpaces:   {student, teacher, director, administrator},
	PostClassSpace:    {teacher, administrator},
	ManageGroups:      {teacher, director, administrator, staff},
	RecordsBulk:       {administrator},
}

// operatorPolicy lists what the instance's operator may do: changeover,
// jobs, configuration, aggregated counts — never a record's content.
var operatorPolicy = map[Action]bool{
	OperatorHome:       true,
	OperatorKind:       true,
	OperatorRollover:   true,
	OperatorJobs:       true,
	OperatorAudit:      true,
	OperatorRetention:  true,
	OperatorPrivacy:    true,
	OperatorSSO:        true,
	OperatorFederation: true,
}

// Principal is who makes a request.
type Principal struct {
	AccountID int64
	Login     string
	Operator  bool        // signed in as the instance's operator
	UAI       sillage.UAI // the establishment chosen ("" for the operator)
	PersonID  int64
	Role      sillage.Role
	Name      string
	// Departed: a deactivated student within the download window: the
	// download of their record is all they may do (transfer.md 8).
	Departed bool
	// APIToken: the request came with a bearer token (no session).
	APIToken bool
	// ReadOnly: the token's scope is read: it changes nothing (the routes
	// refuse it every method but GET and HEAD).
	ReadOnly bool
}

// Allowed reports whether p may do a.
func (p Principal) Allowed(a Action) bool {
	if a == SignedIn {
		return p.AccountID != 0 && !p.APIToken
	}
	if p.Operator {
		return operatorPolicy[a]
	}
	if p.Departed {
		return a == DepartedDownload
	}
	if p.UAI == "" || p.PersonID == 0 {
		return false
	}
	for _, r := range establishmentPolicy[a] {
		if r == p.Role {
			return true
		}
	}
	return false
}

// Known reports whether a is in the policy (a route naming an unknown
// action is a bug the route test catches).
func Known(a Action) bool {
	_, est := establishmentPolicy[a]
	return est || operatorPolicy[a] || a == DepartedDownload || a == SignedIn
}

// RolesFor lists the roles allowed a (for pages that explain who sees what).
func RolesFor(a Action) []sillage.Role {
	rs := append([]sillage.Role(nil), establishmentPolicy[a]...)
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return rs
}
