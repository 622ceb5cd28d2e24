package records

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/store"
)

// ImportRequest says where to import and who imports.
type ImportRequest struct {
	UAI    sillage.UAI
	Actor  audit.Actor
	DryRun bool // check and count everything, change nothing
	// Blobs receives the files given in "contenu_base64" (and is where a
	// file named only by its sha256 is looked for). Nil refuses files.
	Blobs  blob.Store
	Limits FileLimits
	// EvaluationAuthorID, when set, authors every evaluation created (a
	// federated transfer: the destination's generic user "ancien
	// établissement", as a transfer inside the instance does).
	EvaluationAuthorID int64
	// KeepAuthorNames keeps, on a sheet whose evaluating teacher is not a
	// person of the establishment, the teacher's name (a record that comes
	// from another instance), instead of recording it without author.
	KeepAuthorNames bool
	// RequireAll refuses the whole import when any item is rejected (a
	// federated transfer: nothing may be left behind).
	RequireAll bool
}

// Report is what an import did (or, in a dry run, would do), and every item
// it refused with its position in the file.
type Report struct {
	DryRun             bool        `json:"simulation"`
	Students           int         `json:"eleves"`
	EvaluationsCreated int         `json:"evaluations_creees"`
	EvaluationsFound   int         `json:"evaluations_existantes"`
	ResultsAdded       int         `json:"resultats_ajoutes"`
	ResultsChanged     int         `json:"resultats_modifies"`
	ResultsUnchanged   int         `json:"resultats_inchanges"`
	CommentsAdded      int         `json:"commentaires_ajoutes"`
	CommentsChanged    int         `json:"commentaires_modifies"`
	CommentsUnchanged  int         `json:"commentaires_inchanges"`
	SheetsCreated      int         `json:"fiches_creees"`
	SheetsUpdated      int         `json:"fiches_modifiees"`
	SheetsUnchanged    int         `json:"fiches_inchangees"`
	FilesAdded         int         `json:"fichiers_ajoutes"`
	FilesUnchanged     int         `json:"fichiers_inchanges"`
	Rejected           []Rejection `json:"rejets"`
	Warnings           []Rejection `json:"avertissements"`
}

// Rejection is an item left out (or a warning), where it is in the file
// (a JSON path, positions counted from 0) and why.
type Rejection struct {
	Position string `json:"position"`
	EleveID  string `json:"eleve_id,omitempty"`
	Reason   string `json:"motif"`
}

// Changed reports whether the import changed (or would change) anything.
func (r *Report) Changed() bool {
	return r.EvaluationsCreated+r.ResultsAdded+r.ResultsChanged+r.CommentsAdded+r.CommentsChanged+
		r.SheetsCreated+r.SheetsUpdated+r.FilesAdded > 0
}

// WriteText writes the report for a person, in French.
func (r *Report) WriteText(w io.Writer) {
	if r.DryRun {
		fmt.Fprintln(w, "Simulation : rien n'a été enregistré.")
	}
	fmt.Fprintf(w, "Élèves reconnus : %d\n", r.Students)
	fmt.Fprintf(w, "Évaluations : %d créée(s), %d déjà présente(s)\n", r.EvaluationsCreated, r.EvaluationsFound)
	fmt.Fprintf(w, "Résultats : %d ajouté(s), %d modifié(s), %d inchangé(s)\n", r.ResultsAdded, r.ResultsChanged, r.ResultsUnchanged)
	fmt.Fprintf(w, "Commentaires : %d ajouté(s), %d modifié(s), %d inchangé(s)\n", r.CommentsAdded, r.CommentsChanged, r.CommentsUnchanged)
	fmt.Fprintf(w, "Fiches : %d créée(s), %d modifiée(s), %d inchangée(s)\n", r.SheetsCreated, r.SheetsUpdated, r.SheetsUnchanged)
	fmt.Fprintf(w, "Fichiers : %d ajouté(s), %d inchangé(s)\n", r.FilesAdded, r.FilesUnchanged)
	if len(r.Rejected) == 0 {
		fmt.Fprintln(w, "Aucun élément rejeté.")
	} else {
		fmt.Fprintf(w, "%d élément(s) rejeté(s) :\n", len(r.Rejected))
		for _, x := range r.Rejected {
			fmt.Fprintf(w, "  %s%s : %s\n", x.Position, eleveSuffix(x.EleveID), x.Reason)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "%d avertissement(s) :\n", len(r.Warnings))
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  %s%s : %s\n", x.Position, eleveSuffix(x.EleveID), x.Reason)
		}
	}
}

func eleveSuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (élève " + id + ")"
}

var errDryRun = errors.New("dry run")

// failpoint, set by tests only, is called at each step of an import; an
// error it returns aborts the import there (the transaction rolls back).
var failpoint func(step string) error

func step(name string) error {
	if failpoint != nil {
		return failpoint(name)
	}
	return nil
}

// Import loads a records JSON file into an establishment, in one
// transaction: the good items go in, each bad one is reported with its
// position. It is idempotent: evaluations are found again by their key
// ("cle") or by (title, date, diploma, author), sheets by their key or by
// (student, type, title, context, PFMP start), results by (evaluation,
// student, competence), files by (sheet, name, content); what is already
// there is counted as unchanged. A malformed file (not JSON, wrong format
// or establishment) changes nothing and returns an error.
func Import(ctx context.Context, st *store.Store, req ImportRequest, r io.Reader) (*Report, error) {
	rep := &Report{DryRun: req.DryRun, Rejected: []Rejection{}, Warnings: []Rejection{}}
	err := st.Write(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = ImportTx(ctx, tx, req, r)
		if err != nil {
			return err
		}
		if req.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	return rep, nil
}

// ImportTx is Import inside the caller's transaction, audit entry
// included (a dry run writes nothing of its own but leaves the rollback to
// the caller). With RequireAll, a rejected item fails the whole import.
func ImportTx(ctx context.Context, tx *store.Tx, req ImportRequest, r io.Reader) (*Report, error) {
	rep := &Report{DryRun: req.DryRun, Rejected: []Rejection{}, Warnings: []Rejection{}}
	im := &importer{ctx: ctx, tx: tx, req: req, rep: rep}
	if err := im.run(r); err != nil {
		return nil, err
	}
	if req.RequireAll && len(rep.Rejected) > 0 {
		x := rep.Rejected[0]
		return nil, sillage.Errorf(sillage.KindInvalid, "%d élément(s) refusé(s), dont %s : %s ; rien n'a été importé", len(rep.Rejected), x.Position, x.Reason)
	}
	if req.DryRun {
		return rep, nil
	}
	if err := step("journal"); err != nil {
		return nil, err
	}
	err := audit.Record(ctx, tx, req.UAI, req.Actor, audit.RecordsImported, "",
		fmt.Sprintf("%d élève(s) ; évaluations : %d créée(s) ; résultats : %d ajouté(s), %d modifié(s) ; fiches : %d créée(s), %d modifiée(s) ; fichiers : %d ; %d rejet(s)",
			rep.Students, rep.EvaluationsCreated, rep.ResultsAdded, rep.ResultsChanged, rep.SheetsCreated, rep.SheetsUpdated, rep.FilesAdded, len(rep.Rejected)))
	if err != nil {
		return nil, err
	}
	return rep, nil
}

type importer struct {
	ctx context.Context
	tx  *store.Tx
	req ImportRequest
	rep *Report

	scale     sillage.Scale
	students  map[string]sillage.Student // by ELEVE_ID
	seen      map[int64]bool
	refs      map[string]*refEntry // by diploma
	authors   map[string]authorEntry
	divisions map[string]int64
	evals     map[string]*evalEntry
	staff     []sillage.Person
	pending   []sillage.Result
	grid      map[int64]map[int64]bool // evaluation -> competences
}

type refEntry struct {
	ref   sillage.Referential
	codes map[string]int64
	err   error
}

type authorEntry struct {
	id      int64
	warning string
}

type evalEntry struct {
	id       int64
	refID    int64
	err      string // rejection of every item of this evaluation
	results  map[[2]int64]string
	comments map[int64]string
	pending  map[[2]int64]string // results added by this import
}

func (im *importer) reject(pos, eleve, format string, args ...any) {
	im.rep.Rejected = append(im.rep.Rejected, Rejection{Position: pos, EleveID: eleve, Reason: fmt.Sprintf(format, args...)})
}

func (im *importer) warn(pos, eleve, format string, args ...any) {
	im.rep.Warnings = append(im.rep.Warnings, Rejection{Position: pos, EleveID: eleve, Reason: fmt.Sprintf(format, args...)})
}

func (im *importer) run(r io.Reader) error {
	ctx, tx, uai := im.ctx, im.tx, im.req.UAI
	var err error
	if im.scale, err = LoadScale(ctx, tx, uai); err != nil {
		return err
	}
	students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
	if err != nil {
		return err
	}
	im.students = make(map[string]sillage.Student, len(students))
	for _, s := range students {
		if s.SIECLEID != "" {
			im.students[s.SIECLEID] = s
		}
	}
	im.seen, im.refs, im.authors, im.divisions = map[int64]bool{}, map[string]*refEntry{}, map[string]authorEntry{}, map[string]int64{}
	im.evals, im.grid = map[string]*evalEntry{}, map[int64]map[int64]bool{}

	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	var format string
	version := 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return syntaxErr(dec, err)
		}
		key, _ := t.(string)
		switch key {
		case "format":
			if err := dec.Decode(&format); err != nil {
				return syntaxErr(dec, err)
			}
		case "version":
			if err := dec.Decode(&version); err != nil {
				return sillage.Errorf(sillage.KindInvalid, "« version » doit être un nombre")
			}
		case "uai":
			var u string
			if err := dec.Decode(&u); err != nil {
				return syntaxErr(dec, err)
			}
			if u != "" && sillage.UAI(strings.ToUpper(strings.TrimSpace(u))) != uai {
				return sillage.Errorf(sillage.KindInvalid, "ce fichier concerne l'établissement %s, pas %s : rien n'a été importé", u, uai)
			}
		case "eleves":
			if err := im.readStudents(dec); err != nil {
				return err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return syntaxErr(dec, err)
			}
			switch key {
			case "etablissement", "exporte_le", "echelle", "referentiels":
			default:
				im.warn(key, "", "clé inconnue, ignorée")
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return syntaxErr(dec, err)
	}
	if format != FormatName {
		return sillage.Errorf(sillage.KindInvalid, "« format » doit valoir %q : ce n'est pas un fichier de livrets Sillage (rien n'a été importé)", FormatName)
	}
	if version < MinFormatVersion || version > FormatVersion {
		return sillage.Errorf(sillage.KindInvalid, "version %d du format non prise en charge (versions %d à %d) : rien n'a été importé", version, MinFormatVersion, FormatVersion)
	}
	if err := step("resultats"); err != nil {
		return err
	}
	if err := tx.Records().InsertResults(ctx, uai, im.pending); err != nil {
		return err
	}
	if err := step("grille"); err != nil {
		return err
	}
	for evalID, comps := range im.grid {
		ids := make([]int64, 0, len(comps))
		for c := range comps {
			ids = append(ids, c)
		}
		if err := tx.Records().AddEvaluationCompetences(ctx, uai, evalID, ids); err != nil {
			return err
		}
	}
	im.rep.Students = len(im.seen)
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return syntaxErr(dec, err)
	}
	if t != d {
		return sillage.Errorf(sillage.KindInvalid, "JSON inattendu à l'octet %d : %q attendu", dec.InputOffset(), string(d))
	}
	return nil
}

// syntaxErr reports a file that cannot be read on: nothing is imported.
func syntaxErr(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return sillage.Errorf(sillage.KindInvalid, "fichier JSON tronqué (octet %d) : rien n'a été importé", dec.InputOffset())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return sillage.Errorf(sillage.KindInvalid, "JSON mal formé à l'octet %d : %s ; rien n'a été importé", se.Offset, se.Error())
	}
	var mbe interface{ MaxBytes() int64 }
	if errors.As(err, &mbe) {
		return err
	}
	if sillage.KindOf(err) != sillage.KindInternal {
		return err
	}
	return sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("JSON illisible à l'octet %d ; rien n'a été importé", dec.InputOffset()))
}

// readStudents reads the "eleves" array one student at a time.
func (im *importer) readStudents(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		pos := fmt.Sprintf("eleves[%d]", i)
		var s Student
		if err := dec.Decode(&s); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				im.reject(pos, s.EleveID, "champ « %s » : %s attendu", te.Field, jsonKind(te.Type.Kind().String()))
				continue
			}
			return syntaxErr(dec, err)
		}
		if err := im.student(pos, s); err != nil {
			return err
		}
		if err := step("eleve"); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	if err != nil {
		return syntaxErr(dec, err)
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "un texte"
	case "slice":
		return "une liste"
	case "struct", "ptr":
		return "un objet"
	case "int", "int64":
		return "un nombre"
	}
	return k
}

func (im *importer) student(pos string, s Student) error {
	id := strings.TrimSpace(s.EleveID)
	if id == "" {
		im.reject(pos, "", "« eleve_id » manquant : l'élève est reconnu par son identifiant SIECLE (ELEVE_ID)")
		return nil
	}
	st, ok := im.students[id]
	if !ok {
		im.reject(pos, id, "élève inconnu dans l'établissement (aucun élève avec cet ELEVE_ID) : %d évaluation(s) et %d fiche(s) ignorées",
			len(s.Evaluations), len(s.Sheets))
		return nil
	}
	im.seen[st.ID] = true
	for j, e := range s.Evaluations {
		if err := im.evaluation(fmt.Sprintf("%s.evaluations[%d]", pos, j), id, st, e); err != nil {
			return err
		}
	}
	for j, sh := range s.Sheets {
		if err := im.sheet(fmt.Sprintf("%s.fiches[%d]", pos, j), id, st, sh); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) referential(diploma string) *refEntry {
	if e, ok := im.refs[diploma]; ok {
		return e
	}
	e := &refEntry{}
	ref, err := im.tx.Records().GetReferentialByDiploma(im.ctx, im.req.UAI, diploma)
	if err != nil {
		e.err = err
	} else {
		e.ref, e.codes = ref, map[string]int64{}
		for _, c := range ref.Competences {
			e.codes[c.Code] = c.ID
		}
	}
	im.refs[diploma] = e
	return e
}

// author finds the person an "auteur" names: by STS-web id, else by
// "NOM Prénom" among the establishment's staff.
func (im *importer) author(a *Author) (authorEntry, error) {
	if a == nil || strings.TrimSpace(a.Name) == "" && strings.TrimSpace(a.STSID) == "" {
		return authorEntry{}, nil
	}
	k := a.STSID + "\x00" + a.Name
	if e, ok := im.authors[k]; ok {
		return e, nil
	}
	if im.staff == nil {
		ps, err := im.tx.People().ListPersons(im.ctx, im.req.UAI, sillage.PersonFilter{})
		if err != nil {
			return authorEntry{}, err
		}
		im.staff = []sillage.Person{}
		for _, p := range ps {
			if p.Role != sillage.RoleStudent && p.Role != sillage.RoleParent {
				im.staff = append(im.staff, p)
			}
		}
	}
	var e authorEntry
	sts, name := strings.TrimSpace(a.STSID), strings.TrimSpace(a.Name)
	var found []int64
	for _, p := range im.staff {
		if sts != "" && p.STSID == sts {
			found = []int64{p.ID}
			break
		}
		if name != "" && strings.EqualFold(p.FullName(), name) {
			found = append(found, p.ID)
		}
	}
	switch {
	case len(found) == 1:
		e.id = found[0]
	case len(found) > 1:
		e.warning = fmt.Sprintf("auteur « %s » ambigu (plusieurs personnes de ce nom) : enregistré sans auteur", name)
	default:
		e.warning = fmt.Sprintf("auteur « %s » inconnu dans l'établissement : enregistré sans auteur", strings.TrimSpace(name+" "+sts))
	}
	im.authors[k] = e
	return e, nil
}

func (im *importer) division(year sillage.SchoolYear, code string) (int64, error) {
	k := fmt.Sprint(year) + "/" + code
	if id, ok := im.divisions[k]; ok {
		return id, nil
	}
	d, err := im.tx.People().GetDivisionByCode(im.ctx, im.req.UAI, year, code)
	if sillage.KindOf(err) == sillage.KindNotFound {
		im.divisions[k] = 0
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	im.divisions[k] = d.ID
	return d.ID, nil
}

func (im *importer) evaluation(pos, eleve string, st sillage.Student, e Evaluation) error {
	ctx, tx, uai := im.ctx, im.tx, im.req.UAI
	title := strings.TrimSpace(e.Title)
	date, err := sillage.ParseDate(e.Date)
	switch {
	case title == "":
		im.reject(pos, eleve, "« titre » manquant : évaluation ignorée")
		return nil
	case utf8.RuneCountInString(title) > 200:
		im.reject(pos, eleve, "« titre » de plus de 200 caractères : évaluation ignorée")
		return nil
	case err != nil || date.IsZero():
		im.reject(pos, eleve, "date « %s » invalide (AAAA-MM-JJ attendu) : évaluation ignorée", e.Date)
		return nil
	case strings.TrimSpace(e.Diploma) == "":
		im.reject(pos, eleve, "« diplome » manquant : évaluation ignorée")
		return nil
	}
	diploma := sillage.DiplomaOfMEF(e.Diploma)
	ref := im.referential(diploma)
	if ref.err != nil {
		if sillage.KindOf(ref.err) != sillage.KindNotFound {
			return ref.err
		}
		im.reject(pos, eleve, "aucun référentiel pour le diplôme %s dans l'établissement : évaluation ignorée (créez ou importez le référentiel)", diploma)
		return nil
	}
	au, err := im.author(e.Author)
	if err != nil {
		return err
	}
	if im.req.EvaluationAuthorID != 0 {
		au = authorEntry{id: im.req.EvaluationAuthorID}
	}
	key := strings.TrimSpace(e.Key)
	ck := "k:" + key
	if key == "" {
		ck = fmt.Sprintf("n:%s\x00%s\x00%s\x00%d", title, date, ref.ref.Diploma, au.id)
	}
	ev := im.evals[ck]
	if ev == nil {
		ev = &evalEntry{results: map[[2]int64]string{}, comments: map[int64]string{}, pending: map[[2]int64]string{}}
		im.evals[ck] = ev
		var found sillage.EvaluationRef
		if key != "" {
			found, err = tx.Records().FindEvaluationByKey(ctx, uai, key)
		} else {
			found, err = tx.Records().FindEvaluationNatural(ctx, uai, title, date, ref.ref.Diploma, au.id)
		}
		switch {
		case err == nil && found.Trashed:
			ev.err = "l'évaluation existe dans la corbeille : restaurez-la pour y importer des résultats"
		case err == nil:
			existing, err := tx.Records().GetEvaluation(ctx, uai, found.ID)
			if err != nil {
				return err
			}
			if existing.ReferentialID != ref.ref.ID {
				ev.err = fmt.Sprintf("la clé %q désigne une évaluation d'un autre diplôme (%s)", key, existing.Diploma)
				break
			}
			ev.id, ev.refID = found.ID, existing.ReferentialID
			im.rep.EvaluationsFound++
			rs, err := tx.Records().ListResultsOfEvaluations(ctx, uai, []int64{found.ID})
			if err != nil {
				return err
			}
			for _, r := range rs {
				ev.results[[2]int64{r.StudentID, r.CompetenceID}] = r.Value
			}
			cs, err := tx.Records().ListCommentsOfEvaluations(ctx, uai, []int64{found.ID})
			if err != nil {
				return err
			}
			for _, c := range cs {
				ev.comments[c.StudentID] = c.Text
			}
		case sillage.KindOf(err) == sillage.KindNotFound:
			if au.warning != "" {
				im.warn(pos, eleve, "%s", au.warning)
			}
			n := sillage.Evaluation{Title: title, Date: date, Level: strings.TrimSpace(e.Level), Diploma: ref.ref.Diploma,
				ReferentialID: ref.ref.ID, AuthorID: au.id, OriginUAI: sillage.UAI(strings.TrimSpace(e.Origin))}
			if code := strings.TrimSpace(e.Division); code != "" {
				if n.DivisionID, err = im.division(sillage.SchoolYearOf(date.Time()), code); err != nil {
					return err
				}
				if n.DivisionID == 0 {
					im.warn(pos, eleve, "division « %s » inconnue pour l'année %s : évaluation enregistrée sans division", code, sillage.SchoolYearOf(date.Time()))
				}
			}
			if err := tx.Records().CreateEvaluation(ctx, uai, &n); err != nil {
				return err
			}
			if key != "" {
				if err := tx.Records().SetEvaluationKey(ctx, uai, n.ID, key); err != nil {
					return err
				}
			}
			ev.id, ev.refID = n.ID, n.ReferentialID
			im.rep.EvaluationsCreated++
			if err := step("evaluation"); err != nil {
				return err
			}
		default:
			return err
		}
	}
	if ev.err != "" {
		im.reject(pos, eleve, "%s", ev.err)
		return nil
	}
	for k, r := range e.Results {
		rpos := fmt.Sprintf("%s.resultats[%d]", pos, k)
		code := strings.TrimSpace(r.Competence)
		compID, ok := ref.codes[code]
		if !ok {
			im.reject(rpos, eleve, "compétence « %s » inconnue dans le référentiel du diplôme %s", code, ref.ref.Diploma)
			continue
		}
		v := NormalizeValue(r.Value)
		if v == "" {
			im.reject(rpos, eleve, "valeur vide pour la compétence %s", code)
			continue
		}
		if err := im.scale.Check(v); err != nil {
			im.reject(rpos, eleve, "%s", sillage.Message(err))
			continue
		}
		rk := [2]int64{st.ID, compID}
		if pv, ok := ev.pending[rk]; ok {
			if pv != v {
				im.reject(rpos, eleve, "résultat en double pour la compétence %s avec une autre valeur (%s puis %s) : le premier est gardé", code, pv, v)
			}
			continue
		}
		if im.grid[ev.id] == nil {
			im.grid[ev.id] = map[int64]bool{}
		}
		im.grid[ev.id][compID] = true
		old, exists := ev.results[rk]
		switch {
		case exists && old == v:
			im.rep.ResultsUnchanged++
		case exists:
			if err := tx.Records().SetResult(ctx, uai, sillage.Result{EvaluationID: ev.id, StudentID: st.ID, CompetenceID: compID, Value: v}); err != nil {
				return err
			}
			ev.results[rk] = v
			im.rep.ResultsChanged++
		default:
			im.pending = append(im.pending, sillage.Result{EvaluationID: ev.id, StudentID: st.ID, CompetenceID: compID, Value: v})
			im.rep.ResultsAdded++
		}
		ev.pending[rk] = v
	}
	if c := strings.TrimSpace(e.Comment); c != "" {
		old, exists := ev.comments[st.ID]
		switch {
		case exists && old == c:
			im.rep.CommentsUnchanged++
		default:
			if err := tx.Records().SetComment(ctx, uai, sillage.Comment{EvaluationID: ev.id, StudentID: st.ID, Text: c}); err != nil {
				return err
			}
			if exists {
				im.rep.CommentsChanged++
			} else {
				im.rep.CommentsAdded++
			}
			ev.comments[st.ID] = c
		}
	}
	return nil
}

func parseContext(s string) (sillage.SituationContext, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case jsonContextClass, "class", "etablissement", "établissement":
		return sillage.ContextClass, true
	case jsonContextPFMP:
		return sillage.ContextPFMP, true
	}
	return "", false
}

func (im *importer) sheet(pos, eleve string, st sillage.Student, s Sheet) error {
	ctx, tx, uai := im.ctx, im.tx, im.req.UAI
	kind, err := sillage.ParseSheetKind(s.Kind)
	if err != nil {
		im.reject(pos, eleve, "type de fiche « %s » inconnu (bacpro ou bep) : fiche ignorée", s.Kind)
		return nil
	}
	context, ok := parseContext(s.Context)
	if !ok {
		im.reject(pos, eleve, "contexte « %s » inconnu (classe ou pfmp) : fiche ignorée", s.Context)
		return nil
	}
	start, err1 := sillage.ParseDate(s.PFMPStart)
	end, err2 := sillage.ParseDate(s.PFMPEnd)
	if err1 != nil || err2 != nil {
		bad := s.PFMPStart
		if err1 == nil {
			bad = s.PFMPEnd
		}
		im.reject(pos, eleve, "date de PFMP « %s » invalide (AAAA-MM-JJ attendu) : fiche ignorée", bad)
		return nil
	}
	sh := sillage.Sheet{StudentID: st.ID, Kind: kind, Title: strings.TrimSpace(s.Title), Description: s.Description, Context: context,
		Class: strings.TrimSpace(s.Class), PFMPStart: start, PFMPEnd: end, Host: strings.TrimSpace(s.Host), Activities: s.Activities,
		OriginUAI: sillage.UAI(strings.TrimSpace(s.Origin))}
	if err := sh.Validate(); err != nil {
		im.reject(pos, eleve, "%s : fiche ignorée", sillage.Message(err))
		return nil
	}
	if s.Evaluation != nil {
		v := NormalizeValue(s.Evaluation.Result)
		if err := im.scale.Check(v); err != nil {
			im.reject(pos+".evaluation", eleve, "%s : fiche ignorée", sillage.Message(err))
			return nil
		}
		au, err := im.author(s.Evaluation.Author)
		if err != nil {
			return err
		}
		if au.warning != "" && !im.req.KeepAuthorNames {
			im.warn(pos+".evaluation", eleve, "%s", au.warning)
		}
		sh.AuthorID, sh.Result, sh.Comment = au.id, v, strings.TrimSpace(s.Evaluation.Comment)
		if au.id == 0 && im.req.KeepAuthorNames && s.Evaluation.Author != nil {
			sh.AuthorName = strings.TrimSpace(s.Evaluation.Author.Name)
		}
	}
	// Per-competence results (version 2): given, even empty, they replace
	// the sheet's; absent, a found sheet keeps its own.
	replace := s.Evaluation != nil && s.Evaluation.Competences != nil
	var results []sillage.SheetResult
	if replace {
		if results, err = im.sheetCompetences(pos+".evaluation", eleve, st, s.Evaluation.Competences); err != nil {
			return err
		}
	}
	key := strings.TrimSpace(s.Key)
	var found sillage.EvaluationRef
	if key != "" {
		found, err = tx.Records().FindSheetByKey(ctx, uai, st.ID, key)
	} else {
		found, err = tx.Records().FindSheetNatural(ctx, uai, sh)
	}
	switch {
	case err == nil && found.Trashed:
		im.reject(pos, eleve, "la fiche existe dans la corbeille : restaurez-la pour la mettre à jour")
		return nil
	case err == nil:
		old, err := tx.Records().GetSheet(ctx, uai, found.ID)
		if err != nil {
			return err
		}
		sh.ID, sh.UAI = old.ID, uai
		if s.Evaluation == nil {
			sh.AuthorID, sh.Result, sh.Comment = old.AuthorID, old.Result, old.Comment
		}
		resultsChanged := false
		if replace {
			oldResults, err := tx.Records().ListResultsOfSheet(ctx, uai, old.ID)
			if err != nil {
				return err
			}
			resultsChanged = !sameSheetResults(oldResults, results)
		}
		if !sameSheet(old, sh) {
			if err := tx.Records().UpdateSheet(ctx, uai, sh); err != nil {
				return err
			}
		}
		if resultsChanged {
			if err := tx.Records().SetSheetResults(ctx, uai, sh.ID, results); err != nil {
				return err
			}
		}
		if sameSheet(old, sh) && !resultsChanged {
			im.rep.SheetsUnchanged++
		} else {
			im.rep.SheetsUpdated++
		}
		sh.Attachments = old.Attachments
		if err := im.keepAuthorName(sh); err != nil {
			return err
		}
	case sillage.KindOf(err) == sillage.KindNotFound:
		if err := tx.Records().CreateSheet(ctx, uai, &sh); err != nil {
			return err
		}
		if err := im.keepAuthorName(sh); err != nil {
			return err
		}
		if err := step("fiche"); err != nil {
			return err
		}
		if key != "" {
			if err := tx.Records().SetSheetKey(ctx, uai, sh.ID, key); err != nil {
				return err
			}
		}
		if len(results) > 0 {
			if err := tx.Records().SetSheetResults(ctx, uai, sh.ID, results); err != nil {
				return err
			}
		}
		im.rep.SheetsCreated++
	default:
		return err
	}
	for k, f := range s.Files {
		if err := im.file(fmt.Sprintf("%s.fichiers[%d]", pos, k), eleve, st, &sh, f); err != nil {
			return err
		}
	}
	return nil
}

// sheetCompetences checks a sheet's per-competence results against the
// referential of the student's diploma and the scale, as a teacher's entry
// is checked (EvaluateSheet); a wrong one is rejected alone. Entries with
// neither value nor comment are dropped, as the entry page does.
func (im *importer) sheetCompetences(pos, eleve string, st sillage.Student, in []SheetCompetence) ([]sillage.SheetResult, error) {
	ref, hasRef, err := SheetReferential(im.ctx, im.tx, im.req.UAI, st)
	if err != nil {
		return nil, err
	}
	codes := map[string]sillage.Competence{}
	for _, c := range ref.Competences {
		codes[c.Code] = c
	}
	var out []sillage.SheetResult
	seen := map[int64]string{}
	for k, x := range in {
		cpos := fmt.Sprintf("%s.competences[%d]", pos, k)
		code := strings.TrimSpace(x.Competence)
		c, ok := codes[code]
		switch {
		case !hasRef:
			im.reject(cpos, eleve, "l'établissement n'a pas de référentiel pour le diplôme de l'élève : résultat de la compétence « %s » ignoré", code)
			continue
		case !ok:
			im.reject(cpos, eleve, "compétence « %s » inconnue dans le référentiel du diplôme %s", code, ref.Diploma)
			continue
		}
		v, text := NormalizeValue(x.Value), strings.TrimSpace(x.Comment)
		if err := im.scale.Check(v); err != nil {
			im.reject(cpos, eleve, "%s : %s", code, sillage.Message(err))
			continue
		}
		if utf8.RuneCountInString(text) > MaxCommentRunes {
			im.reject(cpos, eleve, "%s : le commentaire dépasse 2 000 caractères", code)
			continue
		}
		if prev, dup := seen[c.ID]; dup {
			if prev != v+"\x00"+text {
				im.reject(cpos, eleve, "compétence « %s » en double avec une autre valeur", code)
			}
			continue
		}
		seen[c.ID] = v + "\x00" + text
		if v != "" || text != "" {
			out = append(out, sillage.SheetResult{CompetenceID: c.ID, Code: c.Code, Label: c.Label, Value: v, Comment: text})
		}
	}
	return out, nil
}

// sameSheetResults compares two sets of per-competence results.
func sameSheetResults(a, b []sillage.SheetResult) bool {
	if len(a) != len(b) {
		return false
	}
	m := make(map[int64]sillage.SheetResult, len(a))
	for _, x := range a {
		m[x.CompetenceID] = x
	}
	for _, y := range b {
		x, ok := m[y.CompetenceID]
		if !ok || x.Value != y.Value || x.Comment != y.Comment {
			return false
		}
	}
	return true
}

// keepAuthorName writes the name of a sheet's evaluating teacher who is not
// a person of the establishment (KeepAuthorNames).
func (im *importer) keepAuthorName(sh sillage.Sheet) error {
	if sh.AuthorID != 0 || sh.AuthorName == "" {
		return nil
	}
	return im.tx.Records().SetSheetAuthorName(im.ctx, im.req.UAI, sh.ID, sh.AuthorName)
}

func sameSheet(a, b sillage.Sheet) bool {
	return a.Kind == b.Kind && a.Title == b.Title && a.Description == b.Description && a.Context == b.Context && a.Class == b.Class &&
		a.PFMPStart == b.PFMPStart && a.PFMPEnd == b.PFMPEnd && a.Host == b.Host && a.Activities == b.Activities &&
		a.AuthorID == b.AuthorID && a.Result == b.Result && a.Comment == b.Comment
}

// file attaches a file given in the JSON: its content in base64, or only
// its sha256 when the instance already holds those bytes. The content is
// checked like an upload.
func (im *importer) file(pos, eleve string, st sillage.Student, sh *sillage.Sheet, f Attachment) error {
	name, err := CheckName(f.Name)
	if err != nil {
		im.reject(pos, eleve, "%s", sillage.Message(err))
		return nil
	}
	if im.req.Blobs == nil {
		im.reject(pos, eleve, "fichier « %s » : les fichiers ne peuvent pas être importés ici", name)
		return nil
	}
	lim := im.req.Limits
	if lim.MaxSize == 0 || lim.MaxSize > im.req.Blobs.MaxSize() {
		lim = DefaultLimits(im.req.Blobs.MaxSize())
	}
	var data []byte
	var ctype string
	known := false
	if f.Content == "" && f.SHA256 != "" && im.req.Blobs.Has(strings.ToLower(f.SHA256)) {
		// A sum alone stands for a file this establishment already holds;
		// the blob store is the instance's, so ask the establishment's rows.
		if known, err = im.tx.Records().HasAttachmentContent(im.ctx, im.req.UAI, strings.ToLower(f.SHA256)); err != nil {
			return err
		}
	}
	switch {
	case f.Content != "":
		if int64(base64.StdEncoding.DecodedLen(len(f.Content))) > lim.MaxSize+2 {
			im.reject(pos, eleve, "fichier « %s » trop volumineux : la limite est de %s", name, sillage.FormatSize(lim.MaxSize))
			return nil
		}
		data, err = base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			im.reject(pos, eleve, "fichier « %s » : « contenu_base64 » n'est pas du base64 valide", name)
			return nil
		}
		if name, ctype, err = CheckFile(name, bytes.NewReader(data), int64(len(data)), lim); err != nil {
			im.reject(pos, eleve, "%s", sillage.Message(err))
			return nil
		}
	case known:
		bf, err := im.req.Blobs.Open(strings.ToLower(f.SHA256))
		if err != nil {
			return err
		}
		info, err := bf.Stat()
		if err == nil {
			name, ctype, err = CheckFile(name, bf, info.Size(), lim)
		}
		bf.Close()
		if err != nil {
			im.reject(pos, eleve, "%s", sillage.Message(err))
			return nil
		}
	default:
		im.reject(pos, eleve, "fichier « %s » : contenu absent (« contenu_base64 ») et inconnu de cet établissement", name)
		return nil
	}
	sum := strings.ToLower(f.SHA256)
	if data != nil {
		got := sha256Hex(data)
		if sum != "" && sum != got {
			im.reject(pos, eleve, "fichier « %s » : l'empreinte sha256 ne correspond pas au contenu", name)
			return nil
		}
		sum = got
		if IsPhoto(ctype) {
			// Stored without its metadata, as an upload would be.
			if data, err = CleanPhoto(name, ctype, data); err != nil {
				im.reject(pos, eleve, "%s", sillage.Message(err))
				return nil
			}
			sum = sha256Hex(data)
		}
	}
	for _, a := range sh.Attachments {
		if a.Name == name && a.SHA256 == sum {
			im.rep.FilesUnchanged++
			return nil
		}
	}
	size := int64(len(data))
	if data != nil && !im.req.DryRun {
		ref, err := im.req.Blobs.Put(bytes.NewReader(data))
		if err != nil {
			return err
		}
		sum, size = ref.SHA256, ref.Size
	} else if data == nil {
		bf, err := im.req.Blobs.Open(sum)
		if err != nil {
			return err
		}
		info, err := bf.Stat()
		bf.Close()
		if err != nil {
			return err
		}
		size = info.Size()
	}
	a := sillage.Attachment{SheetID: sh.ID, Name: name, SHA256: sum, Size: size, ContentType: ctype, UploadedBy: st.ID}
	if err := im.tx.Records().AddAttachment(im.ctx, im.req.UAI, &a); err != nil {
		return err
	}
	if err := step("fichier"); err != nil {
		return err
	}
	sh.Attachments = append(sh.Attachments, a)
	im.rep.FilesAdded++
	return nil
}
