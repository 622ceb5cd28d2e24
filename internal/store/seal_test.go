package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// tenantA is a populated establishment; the sealing test reads and writes
// through establishment B with A's identifiers and proves nothing of A is
// reachable.
type tenantA struct {
	uai        sillage.UAI
	year       sillage.SchoolYear
	teacher    sillage.Person
	parent     sillage.Person
	student    sillage.Student
	division   sillage.Division
	group      sillage.Group
	ref        sillage.Referential
	eval       sillage.Evaluation
	trashed    sillage.Evaluation
	sheet      sillage.Sheet
	attachment sillage.Attachment
	document   sillage.Document
	archive    sillage.Archive
	period     sillage.Period
	result     sillage.Result
	comment    sillage.Comment
	guardian   sillage.Guardianship
	// Livret Scolaire (lsu_*.go).
	lsuReport  sillage.PeriodicReport
	lsuCycle   sillage.CycleReport
	lsuElement sillage.ProgrammeElement
	lsuPDF     sillage.ReportPDF
	lsuExport  sillage.LSUExport
	// EPI, AP and parcours (lsu_projects.go).
	lsuProject sillage.LSUProject
	lsuGroup   sillage.LSUProjectGroup
	// Changeover (rollover_*.go).
	space     sillage.ClassSpace
	spaceFile sillage.ClassSpaceFile
	initFile  sillage.RolloverFile
	pack      int64
	// Accounts and imports (credentials.go, sessions.go, imports.go).
	message  sillage.InboxMessage
	token    sillage.APIToken
	report   sillage.ImportReport
	credList sillage.CredentialList
}

func (a *tenantA) ids() []int64 {
	ids := []int64{a.teacher.ID, a.parent.ID, a.student.ID, a.division.ID, a.group.ID, a.ref.ID, a.ref.Competences[0].ID,
		a.eval.ID, a.trashed.ID, a.sheet.ID, a.attachment.ID, a.document.ID, a.archive.ID, a.period.ID}
	ids = append(ids, a.lsuReport.ID, a.lsuCycle.ID, a.lsuElement.ID, a.lsuPDF.ID, a.lsuExport.ID)
	ids = append(ids, a.lsuProject.ID, a.lsuGroup.ID)
	ids = append(ids, a.space.ID, a.spaceFile.ID, a.initFile.ID, a.pack)
	ids = append(ids, a.message.ID, a.token.ID, a.report.ID, a.credList.ID)
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func (a *tenantA) strs() []string {
	return []string{"", "E123", "P77", "1SN", "24732000000", "2473200", "scale", "0860012W", "000000", a.attachment.SHA256, "PAR_CIT", "LOC_A"}
}

func populate(t *testing.T, st *store.Store, uai sillage.UAI) *tenantA {
	t.Helper()
	ctx := context.Background()
	a := &tenantA{uai: uai, year: 2025}
	err := st.Write(ctx, func(tx *store.Tx) error {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée A", Kind: sillage.KindLP}))
		a.division = sillage.Division{SchoolYear: a.year, Code: "1SN", Label: "1re SN", MEFs: []string{"24732000000"}}
		must(tx.People().CreateDivision(ctx, uai, &a.division))
		acc := sillage.Account{Login: "a.teacher"}
		must(tx.Accounts().CreateAccount(ctx, &acc))
		a.teacher = sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", Source: sillage.SourceSTS, STSID: "P77", AccountID: acc.ID}
		must(tx.People().CreatePerson(ctx, uai, &a.teacher))
		a.parent = sillage.Person{Role: sillage.RoleParent, LastName: "Durand", FirstName: "Paul", Source: sillage.SourceSIECLE, SIECLEID: "P77"}
		must(tx.People().CreatePerson(ctx, uai, &a.parent))
		a.student = sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", Source: sillage.SourceSIECLE, SIECLEID: "E123"},
			Unqid: "v1:ABC", MEF: "24732000000", Diploma: "24732000", DivisionID: a.division.ID}
		must(tx.People().CreateStudent(ctx, uai, &a.student))
		must(tx.Imports().ReplacePersonUnqids(ctx, uai, []sillage.PersonUnqids{{PersonID: a.student.ID, Unqids: []string{"v2:ABC", "v1:ABC"}}}))
		must(tx.Imports().ReplaceFederationHashes(ctx, uai, []sillage.PersonFederationHashes{{PersonID: a.student.ID, Hashes: []string{"f1:ABC"}}}))
		// A single sign-on provider (named like one of A's codes, so that
		// the sealing test asks B for it) and an identity linked to the teacher.
		must(tx.Accounts().SetSSOProviders(ctx, uai, []string{"P77"}))
		must(tx.Accounts().LinkSSO(ctx, uai, sillage.SSOLink{Provider: "P77", Subject: "E123", PersonID: a.teacher.ID}))
		a.guardian = sillage.Guardianship{ParentID: a.parent.ID, StudentID: a.student.ID, Legal: true}
		must(tx.People().LinkGuardian(ctx, uai, a.guardian))
		a.group = sillage.Group{SchoolYear: a.year, Label: "Atelier", Kind: sillage.GroupFree, Managers: []int64{a.teacher.ID}}
		must(tx.People().CreateGroup(ctx, uai, &a.group))
		must(tx.People().AddGroupMember(ctx, uai, a.group.ID, a.student.ID))
		must(tx.People().ReplaceServices(ctx, uai, a.teacher.ID, []sillage.Service{{DivisionID: a.division.ID, SubjectCode: "000000"}}))
		must(tx.People().SetHeadTeachers(ctx, uai, a.division.ID, []int64{a.teacher.ID}))
		must(tx.People().UpsertMEF(ctx, uai, sillage.MEF{Code: "24732000000", Label: "1PRO SN"}))
		must(tx.People().UpsertSubject(ctx, uai, sillage.Subject{Code: "000000", LongLabel: "Maths"}))
		must(tx.People().ReplaceProgrammes(ctx, uai, []sillage.Programme{{MEF: "24732000000", SubjectCode: "000000", Modality: "S"}}))
		a.ref = sillage.Referential{Diploma: "2473200", Kind: sillage.ReferentialBacPro, Label: "Bac pro SN",
			Competences: []sillage.Competence{{Code: "C1", Label: "S'informer", Domain: "D1"}}}
		must(tx.Records().CreateReferential(ctx, uai, &a.ref))
		a.eval = sillage.Evaluation{Title: "Devis", Date: sillage.NewDate(2025, 10, 1), ReferentialID: a.ref.ID, AuthorID: a.teacher.ID, DivisionID: a.division.ID}
		must(tx.Records().CreateEvaluation(ctx, uai, &a.eval))
		a.trashed = sillage.Evaluation{Title: "Ancien", Date: sillage.NewDate(2025, 9, 20), ReferentialID: a.ref.ID, AuthorID: a.teacher.ID}
		must(tx.Records().CreateEvaluation(ctx, uai, &a.trashed))
		must(tx.Records().TrashEvaluation(ctx, uai, a.trashed.ID, a.teacher.ID))
		a.result = sillage.Result{EvaluationID: a.eval.ID, StudentID: a.student.ID, CompetenceID: a.ref.Competences[0].ID, Value: "3"}
		must(tx.Records().SetResult(ctx, uai, a.result))
		a.comment = sillage.Comment{EvaluationID: a.eval.ID, StudentID: a.student.ID, Text: "Bien"}
		must(tx.Records().SetComment(ctx, uai, a.comment))
		must(tx.Records().SetEvaluationCompetences(ctx, uai, a.eval.ID, []int64{a.ref.Competences[0].ID}))
		must(tx.Records().SetEvaluationKey(ctx, uai, a.eval.ID, "devis-2025"))
		a.sheet = sillage.Sheet{StudentID: a.student.ID, Kind: sillage.SheetBacPro, Title: "Installation", Context: sillage.ContextClass}
		must(tx.Records().CreateSheet(ctx, uai, &a.sheet))
		a.attachment = sillage.Attachment{SheetID: a.sheet.ID, Name: "a.pdf", SHA256: strings.Repeat("a", 64), Size: 3, ContentType: "application/pdf"}
		must(tx.Records().AddAttachment(ctx, uai, &a.attachment))
		a.document = sillage.Document{StudentID: a.student.ID, Kind: sillage.DocumentFile, Name: "d.pdf", SHA256: strings.Repeat("b", 64), Size: 3, ContentType: "application/pdf", SchoolYear: a.year}
		must(tx.Records().AddDocument(ctx, uai, &a.document))
		a.archive = sillage.Archive{SchoolYear: a.year, DivisionCode: "1SN", Name: "1SN.zip", SHA256: strings.Repeat("c", 64), Size: 3}
		must(tx.Records().AddArchive(ctx, uai, &a.archive))
		a.period = sillage.Period{SchoolYear: a.year, Kind: sillage.Trimester, Index: 1, Start: sillage.NewDate(2025, 9, 1), End: sillage.NewDate(2025, 11, 30)}
		must(tx.Periods().CreatePeriod(ctx, uai, &a.period))
		must(tx.Periods().SetSetting(ctx, uai, "scale", "x"))
		must(tx.Rollover().SetYearState(ctx, uai, sillage.YearState{Closed: a.year, Archived: a.year}))
		must(tx.Audit().AppendAudit(ctx, uai, &sillage.AuditEntry{Action: "test", ActorID: a.teacher.ID}))
		a.message = sillage.InboxMessage{RecipientID: a.teacher.ID, Sender: "Sillage", Subject: "s", Body: "b"}
		must(tx.Accounts().SendMessage(ctx, uai, &a.message))
		a.token = sillage.APIToken{TokenHash: "h-" + string(uai), Label: "script", PersonID: a.teacher.ID}
		must(tx.Accounts().CreateAPIToken(ctx, uai, &a.token))
		a.report = sillage.ImportReport{Source: "siecle", FileName: "ElevesSansAdresses.xml", SchoolYear: a.year, Report: `{"statut":"applique"}`}
		must(tx.Imports().CreateImportReport(ctx, uai, &a.report))
		must(tx.Imports().SetAAFStructure(ctx, uai, "52000", "Lycée A"))
		a.credList = sillage.CredentialList{SchoolYear: a.year, DivisionCode: "1SN", Title: "1SN", Accounts: 2,
			PDFSHA256: strings.Repeat("d", 64), CSVSHA256: strings.Repeat("e", 64)}
		must(tx.Accounts().AddCredentialList(ctx, uai, &a.credList))
		var err error
		a.lsuReport, err = tx.Livret().UpsertPeriodicReport(ctx, uai, a.student.ID, a.period.ID, a.teacher.ID)
		must(err)
		avg := 1450
		must(tx.Livret().SetSubjectResult(ctx, uai, sillage.SubjectResult{ReportID: a.lsuReport.ID, SubjectCode: "000000", Average: &avg, Appreciation: "Bien"}))
		a.lsuElement = sillage.ProgrammeElement{DivisionID: a.division.ID, PeriodID: a.period.ID, SubjectCode: "000000", Label: "Fractions"}
		must(tx.Livret().AddProgrammeElement(ctx, uai, &a.lsuElement))
		a.lsuCycle = sillage.CycleReport{StudentID: a.student.ID, Cycle: 4, SchoolYear: a.year, Socle: map[string]int{"CPD_FRA": 3}, Synthesis: "s"}
		must(tx.Livret().UpsertCycleReport(ctx, uai, &a.lsuCycle))
		a.lsuPDF = sillage.ReportPDF{Kind: store.ReportPDFPeriodic, ReportID: a.lsuReport.ID, StudentID: a.student.ID, SchoolYear: a.year,
			DivisionCode: "1SN", Title: "Bilan", Name: "b.pdf", SHA256: strings.Repeat("f", 64), Size: 3}
		must(tx.Livret().AddReportPDF(ctx, uai, &a.lsuPDF))
		a.lsuExport = sillage.LSUExport{SchoolYear: a.year, Degree: "2D", Version: "10.0", Selection: "1SN", Outcome: store.ExportFile,
			ReportSHA256: strings.Repeat("1", 64), ReportSize: 2, FileName: "lsu.xml", FileSHA256: strings.Repeat("2", 64), FileSize: 2}
		must(tx.Livret().CreateLSUExport(ctx, uai, &a.lsuExport))
		must(tx.Livret().SetEPITheme(ctx, uai, sillage.EPITheme{Code: "LOC_A", Label: "Thème local"}))
		a.lsuProject = sillage.LSUProject{SchoolYear: a.year, Kind: "epi", Title: "Journal", Theme: "LOC_A", Subjects: []string{"000000", "000001"}}
		must(tx.Livret().CreateProject(ctx, uai, &a.lsuProject))
		a.lsuGroup = sillage.LSUProjectGroup{ProjectID: a.lsuProject.ID, DivisionID: a.division.ID, PeriodID: a.period.ID, Title: "Journal 1SN",
			Teachers: []sillage.TeacherSubject{{TeacherID: a.teacher.ID, SubjectCode: "000000"}}}
		must(tx.Livret().CreateProjectGroup(ctx, uai, &a.lsuGroup))
		must(tx.Livret().SetClassParcours(ctx, uai, sillage.ClassParcours{DivisionID: a.division.ID, PeriodID: a.period.ID, Code: "PAR_CIT", Text: "Délégués"}))
		must(tx.Livret().SetReportBlock(ctx, uai, sillage.ReportBlock{ReportID: a.lsuReport.ID, GroupID: a.lsuGroup.ID, Text: "Bien"}))
		must(tx.Livret().SetClassSchoolLife(ctx, uai, sillage.ClassSchoolLife{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "Classe calme", UpdatedBy: a.teacher.ID}))
		must(tx.Livret().SetPeriodicExtras(ctx, uai, sillage.PeriodicExtras{ReportID: a.lsuReport.ID, HomeworkDone: "Assidu", Socle: map[string]int{"CPD_FRA": 2}}, a.teacher.ID))
		must(tx.People().SetPostalAddress(ctx, uai, a.parent.ID, sillage.PostalAddress{Lines: []string{"1 rue Haute"}, PostalCode: "86000", Town: "POITIERS"}))
		must(tx.Livret().SetDigitalSkills(ctx, uai, sillage.DigitalSkills{ReportID: a.lsuReport.ID, Levels: map[string]int{"CN_INF_MEN": 2}}, a.teacher.ID))
		must(tx.Livret().SetClassDigitalSkills(ctx, uai, sillage.ClassDigitalSkills{PeriodID: a.period.ID, DivisionID: a.division.ID, Comment: "Salle informatique", UpdatedBy: a.teacher.ID}))
		a.space, err = tx.Rollover().CreateClassSpace(ctx, uai, a.division.ID)
		must(err)
		must(tx.Rollover().SetClassSpaceRight(ctx, uai, a.space.ID, a.teacher.ID, store.SpaceManager))
		a.spaceFile = sillage.ClassSpaceFile{SpaceID: a.space.ID, Name: "cours.pdf", SHA256: strings.Repeat("3", 64), Size: 3, ContentType: "application/pdf", PostedBy: a.teacher.ID}
		must(tx.Rollover().AddClassSpaceFile(ctx, uai, &a.spaceFile))
		a.initFile = sillage.RolloverFile{SchoolYear: a.year, Name: "ElevesSansAdresses.xml", SHA256: strings.Repeat("4", 64), Size: 3}
		must(tx.Rollover().AddRolloverFile(ctx, uai, &a.initFile))
		must(tx.Rollover().SetRolloverCalendar(ctx, a.year, "{}", "test"))
		_, err = tx.Rollover().UpdateRolloverStepClaim(ctx, uai, a.year, 1, tx.Now().Add(time.Minute), "test", "test-owner")
		must(err)
		must(tx.Rollover().AddRolloverCheckpoint(ctx, uai, store.RolloverCheckpoint{SchoolYear: a.year, Step: 1, Item: "deleted:evaluations", RefID: 1}))
		_, err = tx.Rollover().AddRolloverNotice(ctx, uai, sillage.RolloverNotice{SchoolYear: a.year, Kind: "trash_warning", RecipientID: a.teacher.ID, MessageID: 1})
		must(err)
		// An undo pack holding a copy of the sheet and its attachment.
		a.pack, err = tx.Rollover().CreateRolloverPack(ctx, uai, a.year, 1, "test", tx.Now().Add(30*24*time.Hour))
		must(err)
		_, err = tx.Rollover().AddRolloverPackRows(ctx, uai, a.pack, "sheets", []int64{a.sheet.ID})
		must(err)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tenantTables are the tables keyed by establishment.
var tenantTables = []string{"credential_lists", "audit_log", "messages", "api_tokens", "divisions", "persons", "guardianships", "groups", "group_members", "group_managers", "services",
	"head_teachers", "mefs", "subjects", "programmes", "referentials", "competences", "evaluations", "results", "comments",
	"sheets", "attachments", "documents", "archives", "periods", "settings", "evaluation_competences", "import_reports", "aaf_structures",
	"lsu_periodic_reports", "lsu_subject_results", "lsu_programme_elements", "lsu_cycle_reports", "lsu_report_pdfs", "lsu_exports",
	"lsu_epi_themes", "lsu_projects", "lsu_project_groups", "lsu_class_parcours", "lsu_report_blocks", "lsu_class_school_life", "lsu_class_digital_skills",
	"rollover_steps", "rollover_checkpoints", "rollover_notices", "rollover_files", "class_spaces", "class_space_rights", "class_space_files",
	"person_unqids", "rollover_packs", "rollover_pack_rows", "rollover_pack_blobs", "year_states",
	"sso_enabled", "sso_links"}

// snapshot digests every row of uai in every tenant table.
func snapshot(t *testing.T, st *store.Store, uai sillage.UAI) string {
	t.Helper()
	h := sha256.New()
	db := st.SQLDB()
	for _, table := range tenantTables {
		rows, err := db.Query(fmt.Sprintf("SELECT * FROM %s WHERE uai = '%s' ORDER BY 1, 2, 3", table, uai))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s:%v\n", table, vals)
			n++
		}
		rows.Close()
		if n == 0 && table != "group_managers" {
			t.Fatalf("table %s has no row for %s: the fixture must cover every tenant table", table, uai)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

var readPrefixes = []string{"Get", "List", "Is", "Has", "Teaches", "Teacher", "EstablishmentCounts", "Login", "Walk", "Count", "Find"}
var writePrefixes = []string{"Create", "Update", "Set", "Delete", "Trash", "Restore", "Add", "Remove", "Replace", "Link",
	"Unlink", "Upsert", "Insert", "Record", "Acknowledge", "Append", "Purge", "Revoke", "Touch", "Send", "Select", "Deactivate", "Reactivate",
	"Keep", "Take", "Ensure"}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// candidates returns the argument values tried for a parameter type.
func candidates(typ reflect.Type, a *tenantA, b sillage.UAI) []reflect.Value {
	var out []reflect.Value
	add := func(vs ...any) {
		for _, v := range vs {
			out = append(out, reflect.ValueOf(v).Convert(typ))
		}
	}
	switch typ {
	case reflect.TypeFor[context.Context]():
		return []reflect.Value{reflect.ValueOf(context.Background())}
	case reflect.TypeFor[sillage.UAI]():
		add(b)
		return out
	case reflect.TypeFor[sillage.Role]():
		for _, r := range sillage.Roles {
			add(r)
		}
		return out
	case reflect.TypeFor[sillage.SchoolYear]():
		add(a.year, sillage.SchoolYear(0))
		return out
	case reflect.TypeFor[sillage.Student]():
		add(a.student)
		return out
	case reflect.TypeFor[sillage.Person]():
		add(a.teacher, a.parent)
		return out
	case reflect.TypeFor[sillage.Division]():
		add(a.division)
		return out
	case reflect.TypeFor[sillage.Evaluation]():
		add(a.eval, a.trashed)
		return out
	case reflect.TypeFor[sillage.Sheet]():
		add(a.sheet)
		return out
	case reflect.TypeFor[sillage.Result]():
		add(a.result, sillage.Result{EvaluationID: a.eval.ID, StudentID: a.student.ID, CompetenceID: a.ref.Competences[0].ID})
		return out
	case reflect.TypeFor[sillage.Comment]():
		add(a.comment, sillage.Comment{EvaluationID: a.eval.ID, StudentID: a.student.ID})
		return out
	case reflect.TypeFor[sillage.Competence]():
		add(a.ref.Competences[0])
		return out
	case reflect.TypeFor[sillage.Referential]():
		add(a.ref)
		return out
	case reflect.TypeFor[sillage.Guardianship]():
		add(a.guardian)
		return out
	case reflect.TypeFor[time.Time]():
		add(time.Time{}, storetest.Epoch.AddDate(10, 0, 0))
		return out
	case reflect.TypeFor[[]int64]():
		add([]int64(nil), a.ids())
		return out
	case reflect.TypeFor[[]sillage.Student]():
		add([]sillage.Student(nil), []sillage.Student{a.student})
		return out
	}
	switch typ.Kind() {
	case reflect.Pointer:
		// A pointer to a copy of each candidate of the element type
		// (creations through B of A's objects), or to a zero value.
		for _, c := range candidates(typ.Elem(), a, b) {
			p := reflect.New(typ.Elem())
			p.Elem().Set(c)
			out = append(out, p)
		}
	case reflect.Int64:
		for _, id := range a.ids() {
			add(id)
		}
	case reflect.Int:
		add(0, 1)
	case reflect.String:
		for _, s := range a.strs() {
			add(s)
		}
	case reflect.Bool:
		add(false, true)
	case reflect.Struct:
		// Filters: the zero value, then each id field set to each of A's ids.
		out = append(out, reflect.Zero(typ))
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Type.Kind() == reflect.Int64 {
				for _, id := range a.ids() {
					v := reflect.New(typ).Elem()
					v.Field(i).SetInt(id)
					out = append(out, v)
				}
			}
			if f.Type.Kind() == reflect.Bool {
				v := reflect.New(typ).Elem()
				v.Field(i).SetBool(true)
				out = append(out, v)
			}
		}
	default:
		out = append(out, reflect.Zero(typ))
	}
	return out
}

// maxCalls bounds the argument lists tried for one method. The full
// product of the candidates stays below it for almost every method; one
// with many id-like parameters (a list's id beside two sizes, each taking
// every id of A) would otherwise reach millions of calls and most of the
// package's test time.
const maxCalls = 20000

// calls returns the argument lists for m: the product of every argument's
// candidates while it stays within maxCalls; the arguments past that point
// take their candidates in turn, so that each candidate of each argument is
// still tried, beside every combination of the leading arguments (the UAI
// and the ids that select the row come first in the store's signatures).
// Each round of turns is shifted by one: an argument with as many
// candidates as the one before it is not always given the same one.
func calls(m reflect.Method, a *tenantA, b sillage.UAI) [][]reflect.Value {
	lists := [][]reflect.Value{{}}
	for i := 1; i < m.Type.NumIn(); i++ { // 0 is the receiver
		cands := candidates(m.Type.In(i), a, b)
		if n := len(cands); len(lists)*n > maxCalls {
			if len(lists) < n {
				panic(fmt.Sprintf("%s: %d argument lists cannot try the %d candidates of argument %d", m.Name, len(lists), n, i))
			}
			for k, l := range lists {
				lists[k] = append(l, cands[(k+k/n)%n])
			}
			continue
		}
		var next [][]reflect.Value
		for _, l := range lists {
			for _, c := range cands {
				next = append(next, append(append([]reflect.Value{}, l...), c))
			}
		}
		lists = next
	}
	return lists
}

// callMethod calls m with in; a variadic method gets its last argument
// as the slice it is.
func callMethod(m reflect.Method, in []reflect.Value) []reflect.Value {
	if m.Type.IsVariadic() {
		return m.Func.CallSlice(in)
	}
	return m.Func.Call(in)
}

// empty reports whether v is a zero result: nil, empty slice or map,
// false, 0, "", or a struct equal to its zero value.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}

func TestTenantSealing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, "0860012W")
		b := sillage.UAI("0010856A")
		if err := st.Write(ctx, func(tx *store.Tx) error {
			return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: b, Name: "Collège B", Kind: sillage.KindCollege})
		}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, st, a.uai)

		txType := reflect.TypeFor[*store.AllViews]()
		var readMethods, writeMethods []reflect.Method
		for i := 0; i < txType.NumMethod(); i++ {
			m := txType.Method(i)
			if m.Type.NumIn() < 3 || m.Type.In(2) != reflect.TypeFor[sillage.UAI]() {
				continue // not tenant data: no UAI parameter
			}
			isRead, isWrite := hasPrefix(m.Name, readPrefixes), hasPrefix(m.Name, writePrefixes)
			if isRead == isWrite {
				t.Errorf("method %s takes a UAI but is neither a known read nor a known write: classify it in this test", m.Name)
				continue
			}
			if isRead {
				readMethods = append(readMethods, m)
			} else {
				writeMethods = append(writeMethods, m)
			}
		}
		// Reads first, while B is empty: every answer must be empty or
		// "not found", whatever id or code of A is asked for.
		reads, writes := 0, 0
		for _, m := range readMethods {
			for _, args := range calls(m, a, b) {
				reads++
				err := st.Read(ctx, func(tx *store.Tx) error {
					out := callMethod(m, append([]reflect.Value{reflect.ValueOf(store.AllViewsOf(tx))}, args...))
					if errV := out[len(out)-1]; !errV.IsNil() {
						err := errV.Interface().(error)
						if sillage.KindOf(err) != sillage.KindNotFound {
							t.Errorf("%s%v through B: error %v, want not found or empty", m.Name, argStrings(args), err)
						}
						return nil
					}
					for _, v := range out[:len(out)-1] {
						if m.Name == "GetEstablishment" {
							if e := v.Interface().(sillage.Establishment); e.UAI != b {
								t.Errorf("GetEstablishment(B) returned %s", e.UAI)
							}
							continue
						}
						if !empty(v) && !echoed(v, args) {
							t.Errorf("%s%v through B returned %+v: A's data leaked", m.Name, argStrings(args), v.Interface())
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		// Then writes through B with A's identifiers: A must not change.
		for _, m := range writeMethods {
			for _, args := range calls(m, a, b) {
				writes++
				_ = st.Write(ctx, func(tx *store.Tx) error {
					out := callMethod(m, append([]reflect.Value{reflect.ValueOf(store.AllViewsOf(tx))}, args...))
					if errV := out[len(out)-1]; !errV.IsNil() {
						return errV.Interface().(error)
					}
					return nil
				})
			}
		}
		if reads < 200 || writes < 100 {
			t.Fatalf("only %d read and %d write calls were tried: the test lost its reach", reads, writes)
		}
		if after := snapshot(t, st, a.uai); after != before {
			t.Fatal("a write through establishment B changed establishment A's data")
		}
		t.Logf("%d reads and %d writes through B; A unchanged", reads, writes)
	})
}

// echoed reports whether a returned string is one of the arguments (a
// default value given back), not data.
func echoed(v reflect.Value, args []reflect.Value) bool {
	if v.Kind() != reflect.String {
		return false
	}
	for _, a := range args {
		if a.Kind() == reflect.String && a.String() == v.String() {
			return true
		}
	}
	return false
}

func argStrings(args []reflect.Value) []string {
	var out []string
	for _, a := range args[1:] {
		out = append(out, fmt.Sprintf("%v", a.Interface()))
	}
	return out
}
