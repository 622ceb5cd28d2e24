package demo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/store"
)

// Account is a demo account printed for the person trying Sillage.
type Account struct {
	Login         string
	Role          string
	Name          string
	Establishment string
}

// Result sums up what was generated.
type Result struct {
	Establishments []sillage.Establishment
	Accounts       []Account
	Students       int
	Persons        int
	Evaluations    int
	Results        int
	Sheets         int
	Files          int
	ONDE           []ONDEFile // the demo écoles' pupils extractions
}

// Generate stores the academy. The keyring hashes the synthetic INEs, as an
// import would; blobs receives the sheets' files (nil: no files).
func Generate(ctx context.Context, st *store.Store, blobs blob.Store, kr ident.Keyring, o Options, progress func(string)) (*Result, error) {
	o = o.withDefaults()
	if progress == nil {
		progress = func(string) {}
	}
	g := &generator{st: st, blobs: blobs, kr: kr, o: o, res: &Result{}, logins: map[string]bool{}}
	if o.DemoPassword != "" {
		h, err := auth.HashPassword(ctx, o.DemoPassword)
		if err != nil {
			return nil, err
		}
		g.demoHash = h
		if err := g.operator(ctx); err != nil {
			return nil, err
		}
	}
	for i := 0; i < o.Establishments; i++ {
		p := Plan(o, i)
		if err := st.Write(ctx, func(tx *store.Tx) error { return g.establishment(ctx, tx, p) }); err != nil {
			return nil, fmt.Errorf("établissement %s : %w", p.Establishment.UAI, err)
		}
		g.res.Establishments = append(g.res.Establishments, p.Establishment)
		progress(fmt.Sprintf("%s — %s : %d élèves", p.Establishment.UAI, p.Establishment.Name, len(p.Students)))
	}
	if o.Livret {
		for _, l := range o.livretSchools() {
			before := g.res.Students
			if err := g.livretSchool(ctx, l); err != nil {
				return nil, err
			}
			progress(fmt.Sprintf("%s — %s : %d élèves, Livret Scolaire rempli", l.UAI, l.Name, g.res.Students-before))
		}
	}
	return g.res, st.Optimize(ctx)
}

type generator struct {
	st       *store.Store
	blobs    blob.Store
	kr       ident.Keyring
	o        Options
	res      *Result
	demoHash string
	logins   map[string]bool
}

func (g *generator) operator(ctx context.Context) error {
	return g.st.Write(ctx, func(tx *store.Tx) error {
		acc := sillage.Account{Login: "operateur", PasswordHash: g.demoHash, Operator: true}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		g.logins[acc.Login] = true
		g.res.Accounts = append(g.res.Accounts, Account{Login: acc.Login, Role: "Opérateur de l'instance", Name: "Opérateur"})
		return nil
	})
}

// account creates the account of a person; demo marks the printed ones,
// which get the demo password.
func (g *generator) account(ctx context.Context, tx *store.Tx, p *sillage.Person, demo bool, estName string) error {
	if !g.o.Accounts && !demo {
		return nil
	}
	base := auth.LoginBase(p.FirstName, p.LastName)
	login := base
	for n := 2; g.logins[login]; n++ {
		login = fmt.Sprintf("%s%d", base, n)
	}
	g.logins[login] = true
	acc := sillage.Account{Login: login, MustChangePassword: true}
	if demo && g.demoHash != "" {
		acc.PasswordHash, acc.MustChangePassword = g.demoHash, false
	}
	if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
		return err
	}
	p.AccountID = acc.ID
	if demo && g.demoHash != "" {
		g.res.Accounts = append(g.res.Accounts, Account{Login: login, Role: p.Role.Label(), Name: p.FirstName + " " + p.LastName, Establishment: estName})
	}
	return nil
}

func (g *generator) establishment(ctx context.Context, tx *store.Tx, p EstablishmentPlan) error {
	r := rng(g.o.Seed, p.Index, 2)
	uai := p.Establishment.UAI
	first := p.Index == 0
	if err := tx.Establishments().CreateEstablishment(ctx, p.Establishment); err != nil {
		return err
	}
	refs := make([]sillage.Referential, len(diplomas))
	for d, dip := range diplomas {
		refs[d] = dip.referential()
		if err := tx.Records().CreateReferential(ctx, uai, &refs[d]); err != nil {
			return err
		}
		for lvl := 1; lvl <= 3; lvl++ {
			if err := tx.People().UpsertMEF(ctx, uai, sillage.MEF{Code: dip.mef(lvl), Formation: fmt.Sprintf("%d%s", lvl, dip.Short), Label: dip.Label}); err != nil {
				return err
			}
		}
		for s, subj := range dip.Subjects {
			if err := tx.People().UpsertSubject(ctx, uai, sillage.Subject{Code: fmt.Sprintf("0%02d%d00", 30+s, d), ShortLabel: strings.ToUpper(subj[:min(6, len(subj))]), LongLabel: subj}); err != nil {
				return err
			}
		}
	}
	divs := make([]sillage.Division, len(p.Divisions))
	for d, dp := range p.Divisions {
		divs[d] = sillage.Division{SchoolYear: p.Year, Code: dp.Code, Label: dp.Label, MEFs: []string{dp.MEF()}, FromSTS: true}
		if err := tx.People().CreateDivision(ctx, uai, &divs[d]); err != nil {
			return err
		}
	}

	// Staff: the administrator and the director have demo accounts.
	for _, s := range []struct {
		role        sillage.Role
		first, last string
	}{{sillage.RoleAdministrator, "Admin", ""}, {sillage.RoleDirector, "Direction", ""}} {
		person := sillage.Person{Role: s.role, FirstName: s.first, LastName: string(uai), Source: sillage.SourceDemo}
		if err := g.account(ctx, tx, &person, true, p.Establishment.Name); err != nil {
			return err
		}
		if err := tx.People().CreatePerson(ctx, uai, &person); err != nil {
			return err
		}
	}

	teacherIDs := make([]int64, len(p.Teachers))
	teachersOf := make([][]int64, len(p.Divisions))
	for t, tp := range p.Teachers {
		person := sillage.Person{Role: sillage.RoleTeacher, Civility: tp.Civility, FirstName: tp.First, LastName: tp.Last, STSID: tp.STSID, Source: sillage.SourceDemo}
		if err := g.account(ctx, tx, &person, first && t == 0, p.Establishment.Name); err != nil {
			return err
		}
		if err := tx.People().CreatePerson(ctx, uai, &person); err != nil {
			return err
		}
		teacherIDs[t] = person.ID
		var services []sillage.Service
		for _, d := range tp.Divisions {
			dip := diplomas[p.Divisions[d].Diploma]
			services = append(services, sillage.Service{DivisionID: divs[d].ID, SubjectCode: fmt.Sprintf("0%02d%d00", 30+t%len(dip.Subjects), p.Divisions[d].Diploma), Modality: "CG"})
			teachersOf[d] = append(teachersOf[d], person.ID)
		}
		if err := tx.People().ReplaceServices(ctx, uai, person.ID, services); err != nil {
			return err
		}
	}
	for d := range p.Divisions {
		if len(teachersOf[d]) == 0 {
			teachersOf[d] = []int64{teacherIDs[d%len(teacherIDs)]}
			if err := tx.People().ReplaceServices(ctx, uai, teacherIDs[d%len(teacherIDs)], nil); err != nil {
				return err
			}
		}
		if err := tx.People().SetHeadTeachers(ctx, uai, divs[d].ID, teachersOf[d][:1]); err != nil {
			return err
		}
	}

	studentsOf := make([][]int64, len(p.Divisions))
	studentIDs := make([]int64, len(p.Students))
	demoStudent, demoParent := first, first
	for k, sp := range p.Students {
		div := p.Divisions[sp.Division]
		s := sillage.Student{
			Person: sillage.Person{Role: sillage.RoleStudent, FirstName: sp.First, LastName: sp.Last, Civility: map[string]string{"M": "M.", "F": "Mme"}[sp.Sex],
				BirthDate: sp.Birth, Source: sillage.SourceDemo, SIECLEID: sp.EleveID},
			PreviousUAI: sp.Previous, PreviousName: sp.PreviousName, SchoolEntry: sp.Entry,
			MEF: div.MEF(), Diploma: sillage.DiplomaOfMEF(div.MEF()), DivisionID: divs[sp.Division].ID,
		}
		unqid, err := g.kr.Unqid(sp.INE)
		if err != nil {
			return fmt.Errorf("INE de démonstration invalide : %w", err)
		}
		s.Unqid = unqid
		// Transfer fields as the transfer engine would have left them: the
		// arrivals are new, the others settled long ago.
		s.EnteredAt = sp.Entry.Time()
		s.TransferStatus = sillage.TransferSettled
		if sp.Arrived {
			s.EnteredAt = g.o.Now.AddDate(0, 0, -14)
			s.TransferStatus = sillage.TransferNew
		}
		if sp.Left {
			s.DeactivatedAt = sp.LeftAt
			s.ExitDate = sillage.DateOf(sp.LeftAt)
			s.ExitReason = "11"
		}
		isDemo := demoStudent && !sp.Left && !sp.Arrived
		if err := g.account(ctx, tx, &s.Person, isDemo, p.Establishment.Name); err != nil {
			return err
		}
		demoStudent = demoStudent && !isDemo
		if err := tx.People().CreateStudent(ctx, uai, &s); err != nil {
			return err
		}
		studentIDs[k] = s.ID
		g.res.Students++
		if sp.Left {
			if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: uai, OriginStudentID: s.ID, Diploma: s.Diploma, DeactivatedAt: sp.LeftAt}); err != nil {
				return err
			}
		} else {
			studentsOf[sp.Division] = append(studentsOf[sp.Division], s.ID)
		}
		for n := 0; n < sp.Parents; n++ {
			parent := sillage.Person{Role: sillage.RoleParent, Civility: []string{"Mme", "M."}[n], FirstName: pick(r, firstNames), LastName: sp.Last,
				Source: sillage.SourceDemo, SIECLEID: fmt.Sprintf("%s%d", sp.EleveID, n+1)}
			isDemoParent := demoParent && isDemo && n == 0
			if err := g.account(ctx, tx, &parent, isDemoParent, p.Establishment.Name); err != nil {
				return err
			}
			demoParent = demoParent && !isDemoParent
			if err := tx.People().CreatePerson(ctx, uai, &parent); err != nil {
				return err
			}
			if err := tx.People().LinkGuardian(ctx, uai, sillage.Guardianship{ParentID: parent.ID, StudentID: s.ID, Legal: true, Relation: []string{"20", "10"}[n], Rank: n + 1}); err != nil {
				return err
			}
			g.res.Persons++
		}
	}
	g.res.Persons += len(p.Students) + len(p.Teachers) + 2

	if err := g.periods(ctx, tx, uai, p.Year); err != nil {
		return err
	}
	if err := g.evaluations(ctx, tx, r, uai, p, divs, refs, teachersOf, studentsOf, studentIDs); err != nil {
		return err
	}
	return g.sheets(ctx, tx, r, uai, p, divs, teachersOf, studentIDs)
}

func (g *generator) periods(ctx context.Context, tx *store.Tx, uai sillage.UAI, year sillage.SchoolYear) error {
	y := int(year)
	bounds := [][2]sillage.Date{
		{sillage.NewDate(y, time.September, 1), sillage.NewDate(y, time.November, 30)},
		{sillage.NewDate(y, time.December, 1), sillage.NewDate(y+1, time.March, 15)},
		{sillage.NewDate(y+1, time.March, 16), sillage.NewDate(y+1, time.July, 4)},
	}
	for i, b := range bounds {
		p := sillage.Period{SchoolYear: year, Kind: sillage.Trimester, Index: i + 1, Start: b[0], End: b[1]}
		if err := tx.Periods().CreatePeriod(ctx, uai, &p); err != nil {
			return err
		}
	}
	return nil
}

var evaluationTitles = []string{"Évaluation en atelier", "Étude de cas", "Mise en situation", "Travaux pratiques", "Contrôle de connaissances", "Projet de groupe", "Oral de présentation", "Évaluation formative"}

var comments = []string{"Bon travail, méthode rigoureuse.", "Des progrès à confirmer.", "Travail soigné mais incomplet.", "Très bonne autonomie.",
	"Revoir les consignes de sécurité.", "Participation active, à encourager.", "Manque de rigueur dans la prise de mesures."}

func (g *generator) evaluations(ctx context.Context, tx *store.Tx, r *rand.Rand, uai sillage.UAI, p EstablishmentPlan, divs []sillage.Division,
	refs []sillage.Referential, teachersOf, studentsOf [][]int64, studentIDs []int64) error {
	start := sillage.NewDate(int(p.Year), time.September, 8).Time()
	days := int(g.o.Now.Sub(start).Hours()/24) - 1
	if days < 1 {
		days = 1
	}
	var results []sillage.Result
	for d, dp := range p.Divisions {
		ref := refs[dp.Diploma]
		for e := 0; e < g.o.EvaluationsPerDivision; e++ {
			ev := sillage.Evaluation{
				Title:         fmt.Sprintf("%s n° %d", evaluationTitles[(d+e)%len(evaluationTitles)], e+1),
				Date:          sillage.DateOf(start.AddDate(0, 0, r.IntN(days))),
				Level:         dp.Label,
				Diploma:       ref.Diploma,
				ReferentialID: ref.ID,
				AuthorID:      teachersOf[d][e%len(teachersOf[d])],
				DivisionID:    divs[d].ID,
				SchoolYear:    p.Year,
			}
			if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
				return err
			}
			g.res.Evaluations++
			comps := r.Perm(len(ref.Competences))[:min(g.o.CompetencesPerEvaluation, len(ref.Competences))]
			for _, sid := range studentsOf[d] {
				for _, c := range comps {
					v := []string{"1", "2", "2", "3", "3", "3", "4", "4", "ABS"}[r.IntN(9)]
					results = append(results, sillage.Result{EvaluationID: ev.ID, StudentID: sid, CompetenceID: ref.Competences[c].ID, Value: v})
				}
				if r.IntN(10) < 3 {
					if err := tx.Records().SetComment(ctx, uai, sillage.Comment{EvaluationID: ev.ID, StudentID: sid, Text: pick(r, comments)}); err != nil {
						return err
					}
				}
			}
		}
	}
	// Those who left keep the results of last year in their record.
	for k, sp := range p.Students {
		if !sp.Left {
			continue
		}
		dp := p.Divisions[sp.Division]
		ref := refs[dp.Diploma]
		ev := sillage.Evaluation{Title: "Bilan de fin d'année", Date: sillage.NewDate(int(p.Year), time.June, 10), Level: dp.Label, Diploma: ref.Diploma,
			ReferentialID: ref.ID, AuthorID: teachersOf[sp.Division][0], SchoolYear: p.Year - 1}
		ev.SchoolYear = sillage.SchoolYearOf(ev.Date.Time())
		if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
			return err
		}
		g.res.Evaluations++
		for c := 0; c < min(5, len(ref.Competences)); c++ {
			results = append(results, sillage.Result{EvaluationID: ev.ID, StudentID: studentIDs[k], CompetenceID: ref.Competences[c].ID, Value: fmt.Sprint(2 + r.IntN(3))})
		}
		if err := tx.Records().SetComment(ctx, uai, sillage.Comment{EvaluationID: ev.ID, StudentID: studentIDs[k], Text: pick(r, comments)}); err != nil {
			return err
		}
	}
	g.res.Results += len(results)
	return tx.Records().InsertResults(ctx, uai, results)
}

var hosts = []string{"Électricité Dupuis SARL", "Supermarché du Centre", "Mairie de la commune", "Atelier Moreau et fils", "Clinique des Lilas", "Boutique Le Comptoir"}

func (g *generator) sheets(ctx context.Context, tx *store.Tx, r *rand.Rand, uai sillage.UAI, p EstablishmentPlan, divs []sillage.Division,
	teachersOf [][]int64, studentIDs []int64) error {
	files := map[string]blob.Ref{}
	for k, sp := range p.Students {
		dp := p.Divisions[sp.Division]
		if dp.Level == 1 && !sp.Left {
			continue // sheets start in première
		}
		dip := diplomas[dp.Diploma]
		kind := sillage.SheetBacPro
		if sp.Left && k%3 == 0 {
			kind = sillage.SheetBEP
		}
		for n := 0; n < 1+r.IntN(2); n++ {
			title := dip.Sheets[(k+n)%len(dip.Sheets)]
			sh := sillage.Sheet{StudentID: studentIDs[k], Kind: kind, Title: title,
				Description: "Situation vécue : " + strings.ToLower(title[:1]) + title[1:] + ", réalisée en autonomie partielle sous la responsabilité du tuteur.",
				Context:     sillage.ContextClass, Class: dp.Code, Activities: "Préparer, réaliser, contrôler et rendre compte de l'intervention."}
			if n == 1 {
				sh.Context, sh.Class = sillage.ContextPFMP, ""
				sh.Host = pick(r, hosts)
				start := sillage.NewDate(int(p.Year), time.November, 3+r.IntN(10))
				sh.PFMPStart, sh.PFMPEnd = start, sillage.DateOf(start.Time().AddDate(0, 0, 25))
			}
			if r.IntN(10) < 7 {
				sh.AuthorID = teachersOf[sp.Division][0]
				sh.Result = []string{"2", "3", "3", "4"}[r.IntN(4)]
				sh.Comment = pick(r, comments)
			}
			if err := tx.Records().CreateSheet(ctx, uai, &sh); err != nil {
				return err
			}
			g.res.Sheets++
			if !g.o.Attachments || g.blobs == nil {
				continue
			}
			key := dp.Code + "/" + title
			ref, ok := files[key]
			if !ok {
				pdf := miniPDF(title, []string{"Fiche de situation professionnelle - " + dp.Label, "Etablissement : " + p.Establishment.Name,
					"Compte rendu de l'activite, photos et schemas de l'installation.", "Document de demonstration genere par Sillage."})
				var err error
				ref, err = g.blobs.Put(bytes.NewReader(pdf))
				if err != nil {
					return err
				}
				files[key] = ref
			}
			a := sillage.Attachment{SheetID: sh.ID, Name: strings.ReplaceAll(strings.ToLower(title), " ", "-") + ".pdf", SHA256: ref.SHA256,
				Size: ref.Size, ContentType: "application/pdf", UploadedBy: studentIDs[k]}
			if err := tx.Records().AddAttachment(ctx, uai, &a); err != nil {
				return err
			}
			g.res.Files++
		}
	}
	return nil
}

// Accounts lists the demo accounts of an academy already stored: those
// holding the demo password are the ones Generate printed.
func Accounts(ctx context.Context, st *store.Store, o Options) ([]Account, error) {
	var out []Account
	err := st.Read(ctx, func(tx *store.Tx) error {
		if acc, err := tx.Accounts().GetAccountByLogin(ctx, "operateur"); err == nil && acc.Operator {
			out = append(out, Account{Login: acc.Login, Role: "Opérateur de l'instance", Name: "Opérateur"})
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		for _, e := range es {
			persons, err := tx.People().ListPersons(ctx, e.UAI, sillage.PersonFilter{})
			if err != nil {
				return err
			}
			for _, p := range persons {
				if p.AccountID == 0 {
					continue
				}
				acc, err := tx.Accounts().GetAccount(ctx, p.AccountID)
				if err != nil {
					return err
				}
				// Every other account the demo creates is left to activate.
				if acc.PasswordHash != "" && !acc.MustChangePassword {
					out = append(out, Account{Login: acc.Login, Role: p.Role.Label(), Name: p.FirstName + " " + p.LastName, Establishment: e.Name})
				}
			}
		}
		return nil
	})
	return out, err
}
