package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/store"
)

// periodsYear reads the school year of the periods page (?annee=2026),
// the current one by default; the next year is allowed so its periods can
// be prepared before term (rollover.md step 5).
func (s *Server) periodsYear(r *http.Request) sillage.SchoolYear {
	now := sillage.SchoolYearOf(s.clock.Now())
	v := r.FormValue("annee")
	if v == "" {
		v = r.URL.Query().Get("annee")
	}
	if y, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && (y == int(now) || y == int(now)+1) {
		return sillage.SchoolYear(y)
	}
	return now
}

type periodsData struct {
	Year, Current, Next sillage.SchoolYear
	Periods             []sillage.Period
	Reports             map[int64]int
	TermStart           sillage.Date
}

func (s *Server) periodsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	year := s.periodsYear(r)
	d := periodsData{Year: year, Current: sillage.SchoolYearOf(s.clock.Now()), Reports: map[int64]int{}}
	d.Next = d.Current + 1
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if d.Periods, err = tx.Periods().ListPeriods(ctx, req.P.UAI, year); err != nil {
			return err
		}
		for _, p := range d.Periods {
			rs, err := tx.Livret().ListPeriodicReports(ctx, req.P.UAI, sillage.ReportFilter{PeriodIDs: []int64{p.ID}})
			if err != nil {
				return err
			}
			d.Reports[p.ID] = len(rs)
		}
		d.TermStart, err = tx.Livret().GetTermStart(ctx, req.P.UAI, year)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "periods.html", "Périodes", d)
}

func formDate(r *http.Request, name, what string) (sillage.Date, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return sillage.Date{}, sillage.Errorf(sillage.KindInvalid, "la date de %s est obligatoire", what)
	}
	d, err := sillage.ParseDate(v)
	if err != nil {
		if d, err = sillage.ParseFrenchDate(v); err != nil {
			return d, sillage.Errorf(sillage.KindInvalid, "date de %s « %s » invalide (jj/mm/aaaa)", what, v)
		}
	}
	return d, nil
}

func (s *Server) setTermStart(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year := s.periodsYear(r)
	d, err := formDate(r, "rentree", "rentrée")
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Livret().SetTermStart(ctx, req.P.UAI, year, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), livret.AuditPeriods, "rentrée "+year.String(), "date de rentrée : "+d.French())
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/periodes?annee=%d", int(year)), "La date de rentrée a été enregistrée.")
}

func (s *Server) createPeriod(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	year := s.periodsYear(r)
	kind := sillage.PeriodKind(r.PostFormValue("type"))
	if kind != sillage.Trimester && kind != sillage.Semester {
		return sillage.Errorf(sillage.KindInvalid, "choisissez trimestre ou semestre")
	}
	idx, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("rang")))
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "rang de la période manquant")
	}
	start, err := formDate(r, "debut", "début")
	if err != nil {
		return err
	}
	end, err := formDate(r, "fin", "fin")
	if err != nil {
		return err
	}
	p := sillage.Period{SchoolYear: year, Kind: kind, Index: idx, Start: start, End: end}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Livret().CreatePeriodChecked(ctx, req.P.UAI, &p); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), livret.AuditPeriods, p.Label()+" "+year.String(),
			"créée : du "+start.French()+" au "+end.French())
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/periodes?annee=%d", int(year)), p.Label()+" créé.")
}

// periodInReach returns a period of the establishment.
func (s *Server) periodInReach(r *http.Request, req *Request) (sillage.Period, error) {
	id, err := pathID(r, "period")
	if err != nil {
		return sillage.Period{}, err
	}
	ctx := r.Context()
	var p sillage.Period
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) { p, err = tx.Periods().GetPeriod(ctx, req.P.UAI, id); return err })
	return p, err
}

func (s *Server) updatePeriod(w http.ResponseWriter, r *http.Request, req *Request) error {
	p, err := s.periodInReach(r, req)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	start, err := formDate(r, "debut", "début")
	if err != nil {
		return err
	}
	end, err := formDate(r, "fin", "fin")
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Livret().SetPeriodDates(ctx, req.P.UAI, p.ID, start, end); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), livret.AuditPeriods, p.Label()+" "+p.SchoolYear.String(),
			fmt.Sprintf("dates : du %s au %s (avant : du %s au %s)", start.French(), end.French(), p.Start.French(), p.End.French()))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/periodes?annee=%d", int(p.SchoolYear)), "Les dates du "+strings.ToLower(p.Label())+" ont été enregistrées.")
}

func (s *Server) deletePeriod(w http.ResponseWriter, r *http.Request, req *Request) error {
	p, err := s.periodInReach(r, req)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Periods().DeletePeriod(ctx, req.P.UAI, p.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), livret.AuditPeriods, p.Label()+" "+p.SchoolYear.String(), "supprimée")
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/periodes?annee=%d", int(p.SchoolYear)), p.Label()+" supprimé.")
}
