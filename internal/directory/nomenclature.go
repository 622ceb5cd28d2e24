package directory

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/siecle"
)

// Nomenclature imports a SIECLE Nomenclature export (root
// BEE_NOMENCLATURES): the labels of the MEFs (the diploma and level of a
// student), the subjects and the programmes (subject × MEF × modality).
// It deactivates nobody; the programmes are replaced as a whole.
func (im *Importer) Nomenclature(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	if err := im.checkEstablishment(ctx, opts.UAI); err != nil {
		return nil, err
	}
	rep := newReport(SourceNomenclature, opts.UAI, opts.FileName, im.Store.Clock().Now())
	n, err := siecle.ReadNomenclature(r)
	if err != nil {
		rep.setStatus(StatusRefused, sillage.Message(err))
		return rep, err
	}
	if n.Header.UAJ != opts.UAI {
		err := wrongUAI(n.Header.UAJ, opts.UAI)
		rep.setStatus(StatusRefused, sillage.Message(err))
		return rep, err
	}
	for _, rj := range n.Rejects {
		rep.reject(siecleLoc(rj.Line, rj.Element), rj.Name, rj.Reason)
	}
	spec := txSpec{source: SourceNomenclature, src: sillage.SourceSIECLE, uai: opts.UAI, year: sillage.SchoolYear(n.Header.Year),
		apply: func(t *txn) error {
			mefs := make([]sillage.MEF, 0, len(n.MEFs))
			for _, m := range n.MEFs {
				label := strings.TrimSpace(m.LongLabel)
				if label == "" {
					label = strings.TrimSpace(m.EditionLabel)
				}
				mefs = append(mefs, sillage.MEF{Code: m.Code, Formation: m.Formation, Label: label})
			}
			if err := t.applyMEFs(mefs); err != nil {
				return err
			}
			subjects := make([]sillage.Subject, 0, len(n.Subjects))
			for _, s := range n.Subjects {
				subjects = append(subjects, sillage.Subject{Code: s.Code, ShortLabel: s.ShortLabel, LongLabel: s.LongLabel, NationalCode: s.NationalCode})
			}
			if err := t.applySubjects(subjects, true); err != nil {
				return err
			}
			return t.applyProgrammes(n.Programmes)
		}}
	return rep, im.transact(ctx, spec, opts, rep)
}

// applyMEFs records MEF codes and labels.
func (t *txn) applyMEFs(mefs []sillage.MEF) error {
	have, err := t.tx.People().ListMEFs(t.ctx, t.uai)
	if err != nil {
		return err
	}
	cur := map[string]sillage.MEF{}
	for _, m := range have {
		cur[m.Code] = m
	}
	c := t.rep.counts(KindMEFs)
	for _, want := range mefs {
		old, ok := cur[want.Code]
		switch {
		case !ok:
			c.Created++
		case old == want:
			c.Unchanged++
			continue
		default:
			c.Updated++
		}
		cur[want.Code] = want
		if err := t.tx.People().UpsertMEF(t.ctx, t.uai, want); err != nil {
			return err
		}
	}
	return t.step("mefs")
}

// applySubjects records subjects. The Nomenclature is authoritative for
// every field; another file (STS, which has no national code) only fills
// in: a field it leaves empty keeps the stored value.
func (t *txn) applySubjects(subjects []sillage.Subject, authoritative bool) error {
	have, err := t.tx.People().ListSubjects(t.ctx, t.uai)
	if err != nil {
		return err
	}
	cur := map[string]sillage.Subject{}
	for _, s := range have {
		cur[s.Code] = s
	}
	c := t.rep.counts(KindSubjects)
	for _, s := range subjects {
		old, ok := cur[s.Code]
		want := s
		if ok && !authoritative {
			if want.NationalCode == "" {
				want.NationalCode = old.NationalCode
			}
			if want.ShortLabel == "" {
				want.ShortLabel = old.ShortLabel
			}
			if want.LongLabel == "" {
				want.LongLabel = old.LongLabel
			}
		}
		switch {
		case !ok:
			c.Created++
		case old == want:
			c.Unchanged++
			continue
		default:
			c.Updated++
		}
		cur[s.Code] = want
		if err := t.tx.People().UpsertSubject(t.ctx, t.uai, want); err != nil {
			return err
		}
	}
	return t.step("subjects")
}

func (t *txn) applyProgrammes(ps []siecle.Programme) error {
	have, err := t.tx.People().ListProgrammes(t.ctx, t.uai)
	if err != nil {
		return err
	}
	old := map[sillage.Programme]bool{}
	for _, p := range have {
		old[p] = true
	}
	c := t.rep.counts(KindProgrammes)
	want := make([]sillage.Programme, 0, len(ps))
	seen := map[sillage.Programme]bool{}
	for _, p := range ps {
		sp := sillage.Programme{MEF: p.MEF, SubjectCode: p.Subject, Modality: p.Modality, Hours: strconv.FormatFloat(p.Hours, 'f', -1, 64)}
		key := sillage.Programme{MEF: sp.MEF, SubjectCode: sp.SubjectCode, Modality: sp.Modality}
		if seen[key] {
			continue // (MEF, subject, modality) is unique: the first wins
		}
		seen[key] = true
		want = append(want, sp)
		if old[sp] {
			c.Unchanged++
			delete(old, sp)
		} else {
			c.Created++
		}
	}
	c.Deleted = len(old)
	if c.Created == 0 && c.Deleted == 0 {
		return nil
	}
	if err := t.tx.People().ReplaceProgrammes(t.ctx, t.uai, want); err != nil {
		return err
	}
	return t.step("programmes")
}
