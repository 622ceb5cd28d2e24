package siecle

import (
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/siecle/xmlrec"
)

// header reads PARAMETRES. A file whose header is wrong is not imported at
// all: the UAJ decides which establishment the file belongs to.
func (x reader) header() (Header, error) {
	var h Header
	var uaj, year, exportDate, timestamp string
	err := x.Children(func(el xml.StartElement) error {
		switch el.Name.Local {
		case "UAJ":
			return xmlrec.TextInto(x.Reader, el, &uaj)
		case "ANNEE_SCOLAIRE":
			return xmlrec.TextInto(x.Reader, el, &year)
		case "DATE_EXPORT":
			return xmlrec.TextInto(x.Reader, el, &exportDate)
		case "HORODATAGE":
			return xmlrec.TextInto(x.Reader, el, &timestamp)
		}
		return x.Skip()
	})
	if err != nil {
		return h, err
	}
	line := x.Line()
	if uaj == "" {
		return h, xmlrec.Invalidf("ligne %d : l'en-tête <PARAMETRES> n'a pas d'UAJ (code de l'établissement)", line)
	}
	if h.UAJ, err = sillage.ParseUAI(uaj); err != nil {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES> : %s", line, sillage.Message(err))
	}
	if h.Year, err = parseYear(year); err != nil {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES> : %v", line, err)
	}
	if h.ExportDate, err = parseDate(exportDate); err != nil {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES>, DATE_EXPORT : %v", line, err)
	}
	if h.Timestamp, err = parseTimestamp(timestamp); err != nil {
		return h, xmlrec.Invalidf("ligne %d : en-tête <PARAMETRES>, HORODATAGE : %v", line, err)
	}
	return h, nil
}

// parseYear reads ANNEE_SCOLAIRE: the four digits of the rentrée year.
func parseYear(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("ANNEE_SCOLAIRE absente")
	}
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 1900 {
		return 0, fmt.Errorf("ANNEE_SCOLAIRE %q invalide : l'année de la rentrée sur quatre chiffres est attendue", s)
	}
	return y, nil
}
