package aaf

import (
	"fmt"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/ident"
)

// Field names one field of a typed record, to say which fields a request
// carried: a modifyRequest changes only those.
type Field uint64

// Fields of people (students, relatives, staff).
const (
	FieldBirthDate Field = 1 << iota
	FieldBirthName
	FieldLastName
	FieldFirstName
	FieldOtherNames
	FieldCivility
	FieldEmail
	FieldStructures

	// Students.
	FieldINE
	FieldSIECLEID
	FieldRelatives
	FieldStatus
	FieldMEF
	FieldMEFLabel
	FieldLevel
	FieldSubjectLabels
	FieldSubjectCodes
	FieldClasses
	FieldGroups
	FieldClassEntries
	FieldClassExits

	// Relatives.
	FieldHomePhone
	FieldWorkPhone
	FieldMobiles
	FieldSMSMobile
	FieldAddress
	FieldPostalCode
	FieldCity
	FieldCountry
	FieldAddressPublic
	FieldStudents

	// Staff.
	FieldFunctions
	FieldClassTeachings
	FieldGroupTeachings
	FieldHeadTeacherOf
	FieldStaffMEFs
	FieldTeaches
	FieldIsTeacher

	// Structures.
	FieldUAI
	FieldName
	FieldType
	FieldTypeCode
	FieldContract
	FieldAcademy

	// MEFs and subjects.
	FieldLabel
	FieldAttachedMEF
	FieldStatMEF
)

// Record is what every typed record shares: the request's operation,
// identifier and line, and which fields it carried.
type Record struct {
	Op     Op
	ID     string // identifier/id: the join key within the académie
	Line   int
	Fields Field // fields present in the request
	empty  Field // present with only empty values
	clear  Field // present and empty, for an attribute whose empty value means "clear"
}

// Has reports whether the request carried field f, with or without a value.
func (r Record) Has(f Field) bool { return r.Fields&f != 0 }

// Updates reports whether applying the record must change field f: the
// field carries a value, or it is empty and empty means "clear" for its
// attribute (EmptyMeansClear). An empty field otherwise keeps the stored
// value, as entcore does.
func (r Record) Updates(f Field) bool {
	return r.Has(f) && (r.empty&f == 0 || r.clear&f != 0)
}

// fieldSpec ties a field to its attributes: the first is the 2nd-degree
// name (the one written), the others are 1st-degree names read as well.
type fieldSpec struct {
	f     Field
	attrs []string
}

// Student is an Eleve record.
type Student struct {
	Record
	SIECLEID      string         // ENTEleveStructRattachId: the student's id in SIECLE (ELEVE_ID)
	INE           ident.INE      // ENTEleveINE, as found: check it with INE.Check
	LastName      string         // sn
	BirthName     string         // ENTPersonNomPatro
	FirstName     string         // givenName
	OtherNames    []string       // ENTPersonAutresPrenoms
	Civility      string         // personalTitle: "M.", "Mme", "Mlle"
	BirthDate     time.Time      // ENTPersonDateNaissance
	Structures    []string       // ENTPersonStructRattach: join ids of the administrative structures (not UAIs)
	Classes       []Membership   // ENTEleveClasses
	Groups        []Membership   // ENTEleveGroupes
	ClassEntries  []ClassDate    // ENTEleveDateEntreeClasses
	ClassExits    []ClassDate    // ENTEleveDateSortieClasses
	MEF           string         // ENTEleveMEF: 11-character MEF code
	MEFLabel      string         // ENTEleveLibelleMEF
	Level         string         // ENTEleveNivFormation
	Status        string         // ENTEleveStatutEleve: SCOLAIRE, APPRENTI…
	Relatives     []RelativeLink // ENTElevePersRelEleve
	SubjectCodes  []string       // ENTEleveCodeEnseignements
	SubjectLabels []string       // ENTEleveEnseignements
}

var studentSpec = []fieldSpec{
	{FieldINE, []string{AttrINE}},
	{FieldSIECLEID, []string{AttrSIECLEID}},
	{FieldBirthDate, []string{AttrBirthDate}},
	{FieldBirthName, []string{AttrBirthName}},
	{FieldLastName, []string{AttrLastName, AttrLastName1D}},
	{FieldFirstName, []string{AttrFirstName, AttrFirstName1D}},
	{FieldOtherNames, []string{AttrOtherNames}},
	{FieldCivility, []string{AttrCivility, AttrCivility1D}},
	{FieldRelatives, []string{AttrRelatives, AttrParentalAuth}},
	{FieldStatus, []string{AttrStatus}},
	{FieldMEF, []string{AttrStudentMEF}},
	{FieldMEFLabel, []string{AttrStudentMEFName}},
	{FieldLevel, []string{AttrLevel, AttrLevel1D}},
	{FieldSubjectLabels, []string{AttrSubjectLabels}},
	{FieldSubjectCodes, []string{AttrSubjectCodes}},
	{FieldStructures, []string{AttrStructures}},
	{FieldClassEntries, []string{AttrClassEntries}},
	{FieldClassExits, []string{AttrClassExits}},
	{FieldClasses, []string{AttrClasses, AttrClasses1D}},
	{FieldGroups, []string{AttrGroups, AttrGroups1D}},
}

// DecodeStudent turns an Eleve request into a Student. An addRequest must
// carry the last and first names.
func DecodeStudent(r *Request) (*Student, error) {
	d, err := newDecoder(r, CategoryStudent, "élève", studentSpec)
	if err != nil {
		return nil, err
	}
	s := &Student{}
	s.LastName = d.one(AttrLastName, AttrLastName1D)
	s.FirstName = d.one(AttrFirstName, AttrFirstName1D)
	d.name(s.LastName, s.FirstName)
	if r.Op == OpAdd && (s.LastName == "" || s.FirstName == "") {
		d.fail("nom ou prénom manquant (sn, givenName)")
	}
	s.INE = ident.RawINE(d.one(AttrINE))
	s.SIECLEID = d.one(AttrSIECLEID)
	s.BirthName = d.one(AttrBirthName)
	s.OtherNames = d.many(AttrOtherNames)
	s.Civility = d.one(AttrCivility, AttrCivility1D)
	s.BirthDate = d.date(AttrBirthDate)
	s.Structures = d.many(AttrStructures)
	s.Classes = decodeAll(d, ParseMembership, AttrClasses, AttrClasses1D)
	s.Groups = decodeAll(d, ParseMembership, AttrGroups, AttrGroups1D)
	s.ClassEntries = decodeAll(d, ParseClassDate, AttrClassEntries)
	s.ClassExits = decodeAll(d, ParseClassDate, AttrClassExits)
	s.MEF = d.one(AttrStudentMEF)
	s.MEFLabel = d.one(AttrStudentMEFName)
	s.Level = d.one(AttrLevel, AttrLevel1D)
	s.Status = d.one(AttrStatus)
	s.SubjectCodes = d.many(AttrSubjectCodes)
	s.SubjectLabels = d.many(AttrSubjectLabels)
	if r.Has(AttrRelatives) {
		s.Relatives = decodeAll(d, ParseRelativeLink, AttrRelatives)
	} else {
		// The 1st degree names the relatives with parental authority only.
		for _, id := range d.many(AttrParentalAuth) {
			id, _, _ = strings.Cut(id, "$")
			s.Relatives = append(s.Relatives, RelativeLink{RelativeID: id, Legal: RespLegal})
		}
	}
	s.Record = d.rec
	return s, d.err
}

// Request returns the request that writes s: an addRequest with every
// field, a modifyRequest with the fields s.Fields names, or a deleteRequest.
func (s *Student) Request() *Request {
	e := newEncoder(CategoryStudent, s.Record, studentSpec, AttrJoin)
	e.set(FieldINE, s.INE.Value())
	e.set(FieldSIECLEID, s.SIECLEID)
	e.set(FieldBirthDate, FormatDate(s.BirthDate))
	e.set(FieldBirthName, s.BirthName)
	e.set(FieldLastName, s.LastName)
	e.set(FieldFirstName, s.FirstName)
	e.set(FieldOtherNames, s.OtherNames...)
	e.set(FieldCivility, s.Civility)
	e.set(FieldRelatives, encodeAll(s.Relatives, RelativeLink.composite)...)
	e.set(FieldStatus, s.Status)
	e.set(FieldMEF, s.MEF)
	e.set(FieldMEFLabel, s.MEFLabel)
	e.set(FieldLevel, s.Level)
	e.set(FieldSubjectLabels, s.SubjectLabels...)
	e.set(FieldSubjectCodes, s.SubjectCodes...)
	e.set(FieldStructures, s.Structures...)
	e.set(FieldClassEntries, encodeAll(s.ClassEntries, ClassDate.composite)...)
	e.set(FieldClassExits, encodeAll(s.ClassExits, ClassDate.composite)...)
	e.set(FieldClasses, encodeAll(s.Classes, Membership.composite)...)
	e.set(FieldGroups, encodeAll(s.Groups, Membership.composite)...)
	return e.req
}

// Relative is a PersRelEleve record: a parent or another relative.
type Relative struct {
	Record
	LastName      string    // sn
	BirthName     string    // ENTPersonNomPatro
	FirstName     string    // givenName
	OtherNames    []string  // ENTPersonAutresPrenoms
	Civility      string    // personalTitle
	BirthDate     time.Time // ENTPersonDateNaissance (often empty)
	Email         string    // mail
	HomePhone     string    // homePhone
	WorkPhone     string    // telephoneNumber
	Mobiles       []string  // mobile
	SMSMobile     string    // ENTPersonMobileSMS
	Address       []string  // ENTPersonAdresse, split on "$" into lines, empty lines dropped
	PostalCode    string    // ENTPersonCodePostal
	City          string    // ENTPersonVille
	Country       string    // ENTPersonPays
	AddressPublic bool      // ENTPersonAdresseDiffusion: O/N
	Students      []string  // ENTAuxPersRelEleveEleve: join ids of the students (rarely filled)
}

var relativeSpec = []fieldSpec{
	{FieldBirthDate, []string{AttrBirthDate}},
	{FieldBirthName, []string{AttrBirthName}},
	{FieldLastName, []string{AttrLastName, AttrLastName1D}},
	{FieldFirstName, []string{AttrFirstName, AttrFirstName1D}},
	{FieldOtherNames, []string{AttrOtherNames}},
	{FieldCivility, []string{AttrCivility, AttrCivility1D}},
	{FieldHomePhone, []string{AttrHomePhone, AttrHomePhone1D}},
	{FieldWorkPhone, []string{AttrWorkPhone, AttrWorkPhone1D}},
	{FieldAddress, []string{AttrAddress}},
	{FieldPostalCode, []string{AttrPostalCode}},
	{FieldCity, []string{AttrCity}},
	{FieldCountry, []string{AttrCountry}},
	{FieldAddressPublic, []string{AttrAddressPublic}},
	{FieldMobiles, []string{AttrMobile, AttrMobile1D}},
	{FieldEmail, []string{AttrEmail, AttrEmail1D}},
	{FieldSMSMobile, []string{AttrMobileSMS}},
	{FieldStudents, []string{AttrRelStudents, AttrRelStudents1D}},
}

// DecodeRelative turns a PersRelEleve request into a Relative. An
// addRequest must carry the last name.
func DecodeRelative(r *Request) (*Relative, error) {
	d, err := newDecoder(r, CategoryRelative, "responsable", relativeSpec)
	if err != nil {
		return nil, err
	}
	p := &Relative{}
	p.LastName = d.one(AttrLastName, AttrLastName1D)
	p.FirstName = d.one(AttrFirstName, AttrFirstName1D)
	d.name(p.LastName, p.FirstName)
	if r.Op == OpAdd && p.LastName == "" {
		d.fail("nom manquant (sn)")
	}
	p.BirthName = d.one(AttrBirthName)
	p.OtherNames = d.many(AttrOtherNames)
	p.Civility = d.one(AttrCivility, AttrCivility1D)
	p.BirthDate = d.date(AttrBirthDate)
	p.Email = d.one(AttrEmail, AttrEmail1D)
	p.HomePhone = d.one(AttrHomePhone, AttrHomePhone1D)
	p.WorkPhone = d.one(AttrWorkPhone, AttrWorkPhone1D)
	p.Mobiles = d.many(AttrMobile, AttrMobile1D)
	p.SMSMobile = d.one(AttrMobileSMS)
	p.Address = addressLines(d.one(AttrAddress))
	p.PostalCode = d.one(AttrPostalCode)
	p.City = d.one(AttrCity)
	p.Country = d.one(AttrCountry)
	p.AddressPublic = d.yesNo(AttrAddressPublic)
	p.Students = d.many(AttrRelStudents, AttrRelStudents1D)
	p.Record = d.rec
	return p, d.err
}

// Request returns the request that writes p (see Student.Request).
func (p *Relative) Request() *Request {
	e := newEncoder(CategoryRelative, p.Record, relativeSpec, AttrJoin)
	e.set(FieldBirthDate, FormatDate(p.BirthDate))
	e.set(FieldBirthName, p.BirthName)
	e.set(FieldLastName, p.LastName)
	e.set(FieldFirstName, p.FirstName)
	e.set(FieldOtherNames, p.OtherNames...)
	e.set(FieldCivility, p.Civility)
	e.set(FieldHomePhone, p.HomePhone)
	e.set(FieldWorkPhone, p.WorkPhone)
	e.set(FieldAddress, joinAddress(p.Address))
	e.set(FieldPostalCode, p.PostalCode)
	e.set(FieldCity, p.City)
	e.set(FieldCountry, p.Country)
	e.set(FieldAddressPublic, yesNo(p.AddressPublic))
	e.set(FieldMobiles, p.Mobiles...)
	e.set(FieldEmail, p.Email)
	e.set(FieldSMSMobile, p.SMSMobile)
	e.set(FieldStudents, p.Students...)
	return e.req
}

// Staff is a PersEducNat record: a teacher or another member of staff.
type Staff struct {
	Record
	LastName       string       // sn
	BirthName      string       // ENTPersonNomPatro
	FirstName      string       // givenName
	OtherNames     []string     // ENTPersonAutresPrenoms
	Civility       string       // personalTitle
	BirthDate      time.Time    // ENTPersonDateNaissance
	Email          string       // mail
	Structures     []string     // ENTPersonStructRattach
	Functions      []Function   // ENTPersonFonctions
	ClassTeachings []Teaching   // ENTAuxEnsClassesMatieres
	GroupTeachings []Teaching   // ENTAuxEnsGroupesMatieres
	HeadTeacherOf  []Membership // ENTAuxEnsClassesPrincipal
	MEFs           []StaffMEF   // ENTAuxEnsMEF
	Teaches        bool         // PersEducNatPresenceDevantEleves: O/N
	IsTeacher      bool         // ENTPersonCategorieEnseignant: O/N
}

var staffSpec = []fieldSpec{
	{FieldBirthDate, []string{AttrBirthDate}},
	{FieldBirthName, []string{AttrBirthName}},
	{FieldLastName, []string{AttrLastName, AttrLastName1D}},
	{FieldFirstName, []string{AttrFirstName, AttrFirstName1D}},
	{FieldOtherNames, []string{AttrOtherNames}},
	{FieldCivility, []string{AttrCivility, AttrCivility1D}},
	{FieldEmail, []string{AttrEmail, AttrEmail1D}},
	{FieldStructures, []string{AttrStructures}},
	{FieldStaffMEFs, []string{AttrStaffMEF}},
	{FieldClassTeachings, []string{AttrClassSubjects}},
	{FieldGroupTeachings, []string{AttrGroupSubjects}},
	{FieldHeadTeacherOf, []string{AttrHeadTeacher}},
	{FieldFunctions, []string{AttrFunctions}},
	{FieldIsTeacher, []string{AttrIsTeacher}},
	{FieldTeaches, []string{AttrTeaches}},
}

// DecodeStaff turns a PersEducNat request into a Staff. An addRequest must
// carry the last name.
func DecodeStaff(r *Request) (*Staff, error) {
	d, err := newDecoder(r, CategoryStaff, "personnel", staffSpec)
	if err != nil {
		return nil, err
	}
	s := &Staff{}
	s.LastName = d.one(AttrLastName, AttrLastName1D)
	s.FirstName = d.one(AttrFirstName, AttrFirstName1D)
	d.name(s.LastName, s.FirstName)
	if r.Op == OpAdd && s.LastName == "" {
		d.fail("nom manquant (sn)")
	}
	s.BirthName = d.one(AttrBirthName)
	s.OtherNames = d.many(AttrOtherNames)
	s.Civility = d.one(AttrCivility, AttrCivility1D)
	s.BirthDate = d.date(AttrBirthDate)
	s.Email = d.one(AttrEmail, AttrEmail1D)
	s.Structures = d.many(AttrStructures)
	s.Functions = decodeAll(d, ParseFunction, AttrFunctions)
	s.ClassTeachings = decodeAll(d, ParseTeaching, AttrClassSubjects)
	s.GroupTeachings = decodeAll(d, ParseTeaching, AttrGroupSubjects)
	s.HeadTeacherOf = decodeAll(d, ParseMembership, AttrHeadTeacher)
	s.MEFs = decodeAll(d, ParseStaffMEF, AttrStaffMEF)
	s.Teaches = d.yesNo(AttrTeaches)
	s.IsTeacher = d.yesNo(AttrIsTeacher)
	s.Record = d.rec
	return s, d.err
}

// Request returns the request that writes s (see Student.Request).
func (s *Staff) Request() *Request {
	e := newEncoder(CategoryStaff, s.Record, staffSpec, AttrJoin)
	e.set(FieldBirthDate, FormatDate(s.BirthDate))
	e.set(FieldBirthName, s.BirthName)
	e.set(FieldLastName, s.LastName)
	e.set(FieldFirstName, s.FirstName)
	e.set(FieldOtherNames, s.OtherNames...)
	e.set(FieldCivility, s.Civility)
	e.set(FieldEmail, s.Email)
	e.set(FieldStructures, s.Structures...)
	e.set(FieldStaffMEFs, encodeAll(s.MEFs, StaffMEF.composite)...)
	e.set(FieldClassTeachings, encodeAll(s.ClassTeachings, Teaching.composite)...)
	e.set(FieldGroupTeachings, encodeAll(s.GroupTeachings, Teaching.composite)...)
	e.set(FieldHeadTeacherOf, encodeAll(s.HeadTeacherOf, Membership.composite)...)
	e.set(FieldFunctions, encodeAll(s.Functions, Function.composite)...)
	e.set(FieldIsTeacher, yesNo(s.IsTeacher))
	e.set(FieldTeaches, yesNo(s.Teaches))
	return e.req
}

// Structure is an EtabEducNat record: an establishment.
type Structure struct {
	Record
	// UAI is ENTStructureUAI, or ENTEtablissementUAI when the former is
	// empty, trimmed and upper-cased but not checked: check it with
	// sillage.ParseUAI (several reference samples carry UAIs whose check
	// letter is wrong).
	UAI      string
	Name     string // ENTStructureNomCourant, its "$" parts joined with "-" as entcore does
	Type     string // ENTStructureTypeStruct: COLLEGE, LYCEE…
	TypeCode string // ENTStructureCodeTypeStruct
	Contract string // ENTEtablissementContrat: PU, PR…
	Academy  string // ENTServAcAcademie
}

var structureSpec = []fieldSpec{
	{FieldUAI, []string{AttrUAI, AttrOldUAI}},
	{FieldName, []string{AttrStructName}},
	{FieldType, []string{AttrStructType}},
	{FieldTypeCode, []string{AttrStructTypeCode}},
	{FieldContract, []string{AttrContract}},
	{FieldAcademy, []string{AttrAcademy}},
}

// DecodeStructure turns an EtabEducNat request into a Structure. An
// addRequest must carry a UAI.
func DecodeStructure(r *Request) (*Structure, error) {
	d, err := newDecoder(r, CategoryStructure, "établissement", structureSpec)
	if err != nil {
		return nil, err
	}
	s := &Structure{}
	s.Name = strings.ReplaceAll(d.one(AttrStructName), "$", "-")
	d.name(s.Name, "")
	s.UAI = strings.ToUpper(d.one(AttrUAI, AttrOldUAI))
	if r.Op == OpAdd && s.UAI == "" {
		d.fail("UAI manquant (ENTStructureUAI)")
	}
	s.Type = d.one(AttrStructType)
	s.TypeCode = d.one(AttrStructTypeCode)
	s.Contract = d.one(AttrContract)
	s.Academy = d.one(AttrAcademy)
	s.Record = d.rec
	return s, d.err
}

// Request returns the request that writes s (see Student.Request). The
// UAI is written in both ENTStructureUAI and ENTEtablissementUAI, as the
// national files do.
func (s *Structure) Request() *Request {
	e := newEncoder(CategoryStructure, s.Record, structureSpec, AttrStructJoin)
	e.set(FieldUAI, s.UAI)
	if e.req.Has(AttrUAI) {
		e.req.Attrs[AttrOldUAI] = []string{s.UAI}
	}
	e.set(FieldName, s.Name)
	e.set(FieldType, s.Type)
	e.set(FieldTypeCode, s.TypeCode)
	e.set(FieldContract, s.Contract)
	e.set(FieldAcademy, s.Academy)
	return e.req
}

// MEF is a MefEducNat record: a training programme.
type MEF struct {
	Record
	Label    string // ENTLibelleMef
	Attached string // ENTMEFRattach: the MEF it belongs to
	Stat     string // ENTMEFSTAT11: the statistical MEF code
}

var mefSpec = []fieldSpec{
	{FieldLabel, []string{AttrMEFLabel}},
	{FieldAttachedMEF, []string{AttrMEFAttached}},
	{FieldStatMEF, []string{AttrMEFStat}},
}

// DecodeMEF turns a MefEducNat request into a MEF.
func DecodeMEF(r *Request) (*MEF, error) {
	d, err := newDecoder(r, CategoryMEF, "MEF", mefSpec)
	if err != nil {
		return nil, err
	}
	m := &MEF{}
	m.Label = d.one(AttrMEFLabel)
	d.name(m.Label, "")
	m.Attached = d.one(AttrMEFAttached)
	m.Stat = d.one(AttrMEFStat)
	m.Record = d.rec
	return m, d.err
}

// Subject is a MatiereEducNat record.
type Subject struct {
	Record
	Label string // ENTLibelleMatiere
}

var subjectSpec = []fieldSpec{
	{FieldLabel, []string{AttrSubjectLabel}},
}

// DecodeSubject turns a MatiereEducNat request into a Subject.
func DecodeSubject(r *Request) (*Subject, error) {
	d, err := newDecoder(r, CategorySubject, "matière", subjectSpec)
	if err != nil {
		return nil, err
	}
	s := &Subject{Label: d.one(AttrSubjectLabel)}
	d.name(s.Label, "")
	s.Record = d.rec
	return s, d.err
}

// decoder turns the attributes of one request into typed values, keeping
// the first error with the record's context.
type decoder struct {
	r    *Request
	rec  Record
	kind string // "élève", "responsable"…
	who  string // the record's name, for errors
	err  error
}

func newDecoder(r *Request, c Category, kind string, spec []fieldSpec) (*decoder, error) {
	if r.Category != c {
		return nil, sillage.Errorf(sillage.KindInvalid, "ligne %d : enregistrement %s décodé comme %s", r.Line, r.Category, c)
	}
	d := &decoder{r: r, kind: kind, rec: Record{Op: r.Op, ID: r.ID, Line: r.Line}}
	for _, fs := range spec {
		present, empty, clear := false, true, false
		for _, a := range fs.attrs {
			if !r.Has(a) {
				continue
			}
			present = true
			if !r.Empty(a) {
				empty = false
			} else if EmptyMeansClear(a) {
				clear = true
			}
		}
		if !present {
			continue
		}
		d.rec.Fields |= fs.f
		if empty {
			d.rec.empty |= fs.f
			if clear {
				d.rec.clear |= fs.f
			}
		}
	}
	return d, nil
}

// name records the record's name for error messages (never its INE).
func (d *decoder) name(last, first string) {
	d.who = strings.TrimSpace(last + " " + first)
}

func (d *decoder) fail(format string, args ...any) {
	if d.err != nil {
		return
	}
	where := fmt.Sprintf("%s ligne %d (identifiant %s", d.kind, d.r.Line, d.r.ID)
	if d.who != "" {
		where += ", " + d.who
	}
	d.err = sillage.Errorf(sillage.KindInvalid, "%s) : %s", where, fmt.Sprintf(format, args...))
}

// one returns the value of the first of attrs that has one. A second
// non-empty value is an error: these attributes are single-valued.
func (d *decoder) one(attrs ...string) string {
	for _, a := range attrs {
		var found string
		for _, v := range d.r.Attrs[a] {
			if v == "" {
				continue
			}
			if found != "" {
				d.fail("plusieurs valeurs pour l'attribut %s, qui n'en a qu'une", a)
				break
			}
			found = v
		}
		if found != "" {
			return found
		}
	}
	return ""
}

// many returns the non-empty values of the first of attrs that has any.
func (d *decoder) many(attrs ...string) []string {
	for _, a := range attrs {
		var out []string
		for _, v := range d.r.Attrs[a] {
			if v != "" {
				out = append(out, v)
			}
		}
		if out != nil {
			return out
		}
	}
	return nil
}

func (d *decoder) date(attr string) time.Time {
	t, err := ParseDate(d.one(attr))
	if err != nil {
		d.fail("%s : %s", attr, sillage.Message(err))
	}
	return t
}

// yesNo reads an O/N flag (also true/false, 1/0); empty is false.
func (d *decoder) yesNo(attr string) bool {
	switch v := d.one(attr); strings.ToUpper(v) {
	case "O", "OUI", "TRUE", "1":
		return true
	case "", "N", "NON", "FALSE", "0":
		return false
	default:
		d.fail("%s : %q au lieu de O ou N", attr, v)
		return false
	}
}

// decodeAll decodes the non-empty values of the first of attrs that has
// any with parse.
func decodeAll[T any](d *decoder, parse func(string) (T, error), attrs ...string) []T {
	var out []T
	for _, v := range d.many(attrs...) {
		x, err := parse(v)
		if err != nil {
			d.fail("%s", sillage.Message(err))
			continue
		}
		out = append(out, x)
	}
	return out
}

func encodeAll[T any](xs []T, enc func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = enc(x)
	}
	return out
}

func addressLines(v string) []string {
	var lines []string
	for _, l := range strings.Split(v, "$") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// joinAddress writes address lines as SIECLE does: four "$"-separated lines.
func joinAddress(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	for len(lines) < 4 {
		lines = append(lines, "")
	}
	return strings.Join(lines, "$")
}

func yesNo(b bool) string {
	if b {
		return "O"
	}
	return "N"
}

// encoder builds the request of a typed record.
type encoder struct {
	req  *Request
	spec map[Field]string
	all  bool // addRequest: every field is written
	rec  Record
}

func newEncoder(c Category, rec Record, spec []fieldSpec, joinAttr string) *encoder {
	e := &encoder{
		req:  &Request{Op: rec.Op, Category: c, ID: rec.ID, Line: rec.Line},
		spec: make(map[Field]string, len(spec)),
		all:  rec.Op == OpAdd,
		rec:  rec,
	}
	for _, fs := range spec {
		e.spec[fs.f] = fs.attrs[0]
	}
	if rec.Op != OpDelete {
		e.req.Attrs = make(map[string][]string, len(spec)+2)
	}
	if rec.Op == OpAdd {
		e.req.Attrs[joinAttr] = []string{rec.ID}
	}
	return e
}

// set writes field f with values, if the request writes it.
func (e *encoder) set(f Field, values ...string) {
	if e.req.Attrs == nil || !(e.all || e.rec.Has(f)) {
		return
	}
	vs := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" {
			vs = append(vs, v)
		}
	}
	e.req.Attrs[e.spec[f]] = vs
}

// Request returns the request that writes m (see Student.Request).
func (m *MEF) Request() *Request {
	e := newEncoder(CategoryMEF, m.Record, mefSpec, AttrMEFJoin)
	e.set(FieldLabel, m.Label)
	e.set(FieldAttachedMEF, m.Attached)
	e.set(FieldStatMEF, m.Stat)
	return e.req
}

// Request returns the request that writes s (see Student.Request).
func (s *Subject) Request() *Request {
	e := newEncoder(CategorySubject, s.Record, subjectSpec, AttrSubjectJoin)
	e.set(FieldLabel, s.Label)
	return e.req
}
