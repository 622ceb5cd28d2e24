package sts

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

// FuzzDecode checks that any input ends in records or a clean error: no
// panic, errors of kind Invalid with a message, delivered records complete,
// rejects complete. Seeds are in testdata/fuzz/FuzzDecode, built from small
// synthetic inputs.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`<STS_EDT><PARAMETRES><UAJ CODE="0860012W"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES><INDIVIDUS><INDIVIDU ID="1" TYPE="epp"><NOM_USAGE>A</NOM_USAGE><DATE_NAISSANCE>1978-04-12</DATE_NAISSANCE><PROFS_PRINC><PROF_PRINC><CODE_STRUCTURE>3 A</CODE_STRUCTURE></PROF_PRINC></PROFS_PRINC></INDIVIDU></INDIVIDUS></DONNEES></STS_EDT>`))
	f.Add([]byte(`<STS_EDT><PARAMETRES><UAJ CODE="0860012W"/><ANNEE_SCOLAIRE ANNEE="2025"/></PARAMETRES><DONNEES><STRUCTURE><DIVISIONS><DIVISION CODE="3 A"><MEFS_APPARTENANCE><MEF_APPARTENANCE CODE="1"/></MEFS_APPARTENANCE><SERVICES><SERVICE CODE_MATIERE="061300"><ENSEIGNANTS><ENSEIGNANT ID="1" TYPE="local"/></ENSEIGNANTS></SERVICE></SERVICES></DIVISION></DIVISIONS></STRUCTURE></DONNEES></STS_EDT>`))
	f.Add([]byte(`<EDT_STS/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReject := func(r Reject) error {
			if r.Line <= 0 || r.Element == "" || strings.TrimSpace(r.Reason) == "" {
				t.Errorf("incomplete reject %+v", r)
			}
			return nil
		}
		err := Decode(bytes.NewReader(data), Handler{
			Header: func(h Header) error {
				if _, err := sillage.ParseUAI(string(h.UAJ)); err != nil || h.Year < 1900 {
					t.Errorf("invalid header delivered: %+v", h)
				}
				return nil
			},
			Subject: func(s Subject) error {
				if s.Code == "" {
					t.Error("subject delivered without code")
				}
				return nil
			},
			Individual: func(i Individual) error {
				if i.ID == "" || i.LastName() == "" || (i.Type != "epp" && i.Type != "local") {
					t.Errorf("incomplete individual delivered: line %d", i.Line)
				}
				for _, code := range i.HeadOf {
					if code == "" {
						t.Error("empty head-teacher division delivered")
					}
				}
				return nil
			},
			Division: func(d Division) error {
				if d.Code == "" {
					t.Error("division delivered without code")
				}
				checkServices(t, d.Services)
				return nil
			},
			Group: func(g Group) error {
				if g.Code == "" || slices.Contains(g.Divisions, "") {
					t.Errorf("incomplete group delivered: %+v", g)
				}
				checkServices(t, g.Services)
				return nil
			},
			Reject:  checkReject,
			Warning: checkReject,
		})
		if err != nil {
			if k := sillage.KindOf(err); k != sillage.KindInvalid {
				t.Errorf("error of kind %v, want invalid: %v", k, err)
			}
			if strings.TrimSpace(err.Error()) == "" {
				t.Error("error with an empty message")
			}
		}
	})
}

func checkServices(t *testing.T, services []Service) {
	t.Helper()
	for _, s := range services {
		if s.Subject == "" {
			t.Error("service delivered without subject")
		}
		for _, r := range s.Teachers {
			if r.ID == "" || (r.Type != "epp" && r.Type != "local" && r.Type != "") {
				t.Errorf("teacher reference delivered incomplete: %+v", r)
			}
		}
	}
}
