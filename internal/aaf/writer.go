package aaf

import (
	"bufio"
	"cmp"
	"encoding/xml"
	"io"
	"slices"

	"github.com/sillage/sillage"
)

// Writer writes a ficAlimMENESR file of one category, in the layout of the
// national files: UTF-8 prolog, DOCTYPE, version comment, one request per
// block, attributes in the usual order. Complet files hold addRequests;
// Delta files also modifyRequests and deleteRequests. It refuses what Parse
// would refuse, so that every file it writes can be read back.
type Writer struct {
	bw      *bufio.Writer
	cat     Category
	opName  string
	opValue string
	started bool
	closed  bool
	n       int
	err     error
	names   []string // scratch: the attribute names of the current request
}

// VersionAF is the AAF version the writer declares (the 2024 layout).
const VersionAF = "AAF-VE2407"

// NewWriter returns a writer of category c to w. Close must be called to
// end the document; it does not close w.
func NewWriter(w io.Writer, c Category) *Writer {
	name, value := c.operational()
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10), cat: c, opName: name, opValue: value}
}

// Count returns the number of requests written.
func (w *Writer) Count() int { return w.n }

// Add writes an addRequest.
func (w *Writer) Add(id string, attrs map[string][]string) error {
	return w.Write(&Request{Op: OpAdd, Category: w.cat, ID: id, Attrs: attrs})
}

// Modify writes a modifyRequest: each attribute's values replace all the
// stored ones.
func (w *Writer) Modify(id string, attrs map[string][]string) error {
	return w.Write(&Request{Op: OpModify, Category: w.cat, ID: id, Attrs: attrs})
}

// Delete writes a deleteRequest.
func (w *Writer) Delete(id string) error {
	return w.Write(&Request{Op: OpDelete, Category: w.cat, ID: id})
}

// Write writes one request; its Line is ignored.
func (w *Writer) Write(r *Request) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return sillage.Errorf(sillage.KindInternal, "écriture AAF après Close")
	}
	if err := w.check(r); err != nil {
		return err
	}
	w.header()
	elem := r.Op.String()
	w.str("<" + elem + ">\n<operationalAttributes><attr name=\"" + w.opName + "\"><value>" + w.opValue + "</value></attr></operationalAttributes>\n<identifier><id>")
	w.text(r.ID)
	w.str("</id></identifier>\n")
	switch r.Op {
	case OpAdd:
		w.attrs(r, "attributes", "<attr name=\"", "\">", "</attr>\n")
	case OpModify:
		w.attrs(r, "modifications", "<modification name=\"", "\" operation=\"replace\">", "</modification>\n")
	}
	w.str("</" + elem + ">\n\n")
	w.n++
	return w.err
}

// check refuses a request Parse would refuse.
func (w *Writer) check(r *Request) error {
	switch {
	case r.Category != w.cat:
		return sillage.Errorf(sillage.KindInvalid, "enregistrement %s dans un fichier AAF de catégorie %s", r.Category, w.cat)
	case r.ID == "":
		return sillage.Errorf(sillage.KindInvalid, "enregistrement %s sans identifiant", r.Category)
	case r.Op != OpAdd && r.Op != OpModify && r.Op != OpDelete:
		return sillage.Errorf(sillage.KindInvalid, "opération AAF %d inconnue", r.Op)
	case r.Op == OpDelete && len(r.Attrs) > 0:
		return sillage.Errorf(sillage.KindInvalid, "un deleteRequest ne porte pas d'attributs (identifiant %s)", r.ID)
	case r.Op != OpDelete && len(r.Attrs) == 0:
		return sillage.Errorf(sillage.KindInvalid, "%s sans attribut (identifiant %s)", r.Op, r.ID)
	}
	for name := range r.Attrs {
		if !KnownAttribute(w.cat, name) {
			return sillage.Errorf(sillage.KindInvalid, "attribut inconnu « %s » pour un enregistrement %s (identifiant %s)", name, w.cat, r.ID)
		}
	}
	return nil
}

func (w *Writer) header() {
	if w.started {
		return
	}
	w.started = true
	w.str(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">` + "\n" +
		"<ficAlimMENESR>\n" +
		`<!-- versionAF="` + VersionAF + `" -->` + "\n" +
		`<!-- generateur="Sillage" -->` + "\n\n")
}

// attrs writes the attributes of r in the order of the national files.
func (w *Writer) attrs(r *Request, elem, open, mid, end string) {
	w.names = w.names[:0]
	for name := range r.Attrs {
		w.names = append(w.names, name)
	}
	rank := attrRank[w.cat]
	slices.SortFunc(w.names, func(a, b string) int { return cmp.Compare(rank[a], rank[b]) })
	w.str("<" + elem + ">\n")
	for _, name := range w.names {
		w.str(open)
		w.text(name)
		w.str(mid)
		values := r.Attrs[name]
		if len(values) == 0 {
			w.str("<value/>")
		}
		for _, v := range values {
			if v == "" {
				w.str("<value/>")
				continue
			}
			w.str("<value>")
			w.text(v)
			w.str("</value>")
		}
		w.str(end)
	}
	w.str("</" + elem + ">\n")
}

// Close ends the document and flushes it. An empty writer still produces
// a valid file with no request.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.header()
	w.str("</ficAlimMENESR>\n")
	w.closed = true
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

func (w *Writer) str(s string) {
	if w.err == nil {
		_, w.err = w.bw.WriteString(s)
	}
}

// text writes s escaped. Most values are plain ASCII and are written as
// they are; the others go through encoding/xml's escaper, which also
// replaces characters XML cannot hold.
func (w *Writer) text(s string) {
	if w.err != nil {
		return
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			w.err = xml.EscapeText(w.bw, []byte(s))
			return
		}
	}
	_, w.err = w.bw.WriteString(s)
}
