// Package aaf reads and writes the files of the Annuaire Académique
// Fédérateur (AAF): the académie's directory, delivered as ficAlimMENESR XML
// files, complete ("Complet") or daily changes ("Delta").
//
// Parse streams a file: it holds one request at a time and hands each one to
// a callback as a generic Request; the typed decoders (DecodeStudent,
// DecodeRelative, DecodeStaff, DecodeStructure, DecodeMEF, DecodeSubject)
// turn a request into a record. Writer produces files of the same shape.
// The package never touches a database.
//
// A file that fails to parse must be discarded as a whole: the callback may
// have seen some requests before the error, and none of them may be applied.
package aaf

import "github.com/sillage/sillage"

// Category is the kind of the records of a file, as named in file names.
type Category string

const (
	CategoryStructure Category = "EtabEducNat"    // establishments
	CategoryMEF       Category = "MefEducNat"     // training programmes
	CategorySubject   Category = "MatiereEducNat" // subjects
	CategoryStudent   Category = "Eleve"          // students
	CategoryRelative  Category = "PersRelEleve"   // parents and other relatives
	CategoryStaff     Category = "PersEducNat"    // teachers and other staff
)

// ImportOrder lists the categories in the order an import applies them.
//
// What a record refers to must exist first. Students refer to structures
// (ENTPersonStructRattach, classes) and MEFs; relatives are imported only
// when a student refers to them (entcore skips an unreferenced PersRelEleve),
// so relatives come after students; staff come last because divisions are
// created from the students in them (imports.md rule 6), and a teacher's
// classes must already exist to be linked. This is also entcore's order
// (structures, subjects and MEFs, students, relatives, staff).
var ImportOrder = []Category{
	CategoryStructure,
	CategoryMEF,
	CategorySubject,
	CategoryStudent,
	CategoryRelative,
	CategoryStaff,
}

// rank returns the position of c in ImportOrder.
func (c Category) rank() int {
	for i, o := range ImportOrder {
		if o == c {
			return i
		}
	}
	return len(ImportOrder)
}

// Label is the French name of the category, for reports.
func (c Category) Label() string {
	switch c {
	case CategoryStructure:
		return "établissements"
	case CategoryMEF:
		return "formations (MEF)"
	case CategorySubject:
		return "matières"
	case CategoryStudent:
		return "élèves"
	case CategoryRelative:
		return "responsables"
	case CategoryStaff:
		return "personnels"
	}
	return string(c)
}

// ParseCategory accepts a category as written in file names.
func ParseCategory(s string) (Category, error) {
	c := Category(s)
	if c.rank() == len(ImportOrder) {
		return "", sillage.Errorf(sillage.KindInvalid, "catégorie AAF %q inconnue", s)
	}
	return c, nil
}

// operational returns the operationalAttributes of a category: the name of
// the attr and its value (the subject category is "MatEducNat" inside the
// files, "MatiereEducNat" in their names).
func (c Category) operational() (name, value string) {
	switch c {
	case CategoryStructure:
		return "categorieStructure", string(c)
	case CategoryMEF:
		return "categorieMef", string(c)
	case CategorySubject:
		return "categorieMatiere", "MatEducNat"
	}
	return "categoriePersonne", string(c)
}

// categoryOf maps an operational attribute back to a category.
func categoryOf(name, value string) (Category, bool) {
	for _, c := range ImportOrder {
		if n, v := c.operational(); n == name && v == value {
			return c, true
		}
	}
	return "", false
}

// Op is the operation of a request.
type Op int

const (
	OpAdd    Op = iota // addRequest: a whole record (the only operation of a Complet file)
	OpModify           // modifyRequest: replaces all the values of the attributes it names
	OpDelete           // deleteRequest: removes the record
)

func (o Op) String() string {
	switch o {
	case OpAdd:
		return "addRequest"
	case OpModify:
		return "modifyRequest"
	case OpDelete:
		return "deleteRequest"
	}
	return "requête inconnue"
}

// elementOp maps a request element name to its operation.
func elementOp(name string) (Op, bool) {
	switch name {
	case "addRequest":
		return OpAdd, true
	case "modifyRequest":
		return OpModify, true
	case "deleteRequest":
		return OpDelete, true
	}
	return 0, false
}
