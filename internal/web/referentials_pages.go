package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/store"
)

// Referentials: administrators manage them; teachers, the director and
// administrators read them.

type referentialRow struct {
	sillage.Referential
	DiplomaName string
	Competences int
	Evaluations int
}

func (s *Server) referentialsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderReferentials(w, r, req, http.StatusOK, nil, sillage.Referential{})
}

func (s *Server) renderReferentials(w http.ResponseWriter, r *http.Request, req *Request, status int, errs []string, form sillage.Referential) error {
	ctx := r.Context()
	var rows []referentialRow
	var diplomas records.Diplomas
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		refs, err := tx.Records().ListReferentials(ctx, req.P.UAI)
		if err != nil {
			return err
		}
		if diplomas, err = records.LoadDiplomas(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		for _, ref := range refs {
			cs, err := tx.Records().ListCompetences(ctx, req.P.UAI, ref.ID)
			if err != nil {
				return err
			}
			evals, _, err := tx.Records().CountReferentialUse(ctx, req.P.UAI, ref.ID)
			if err != nil {
				return err
			}
			rows = append(rows, referentialRow{Referential: ref, DiplomaName: diplomas.Name(ref.Diploma), Competences: len(cs), Evaluations: evals})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, status, "referentials.html", "Référentiels", map[string]any{
		"Rows": rows, "Manage": req.P.Allowed(auth.ManageReferentials), "Errors": errs, "Form": form, "Diplomas": diplomas,
		"Kinds": []sillage.ReferentialKind{sillage.ReferentialBacPro, sillage.ReferentialBEP, sillage.ReferentialOther},
	})
}

func (s *Server) createReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ref := sillage.Referential{Label: strings.TrimSpace(r.FormValue("libelle")), Diploma: r.FormValue("diplome")}
	var errs []string
	kind, err := records.ParseReferentialKind(r.FormValue("type"))
	if err != nil {
		errs = append(errs, sillage.Message(err))
	}
	ref.Kind = kind
	if ref.Diploma, err = records.NormalizeDiploma(ref.Diploma); err != nil {
		errs = append(errs, sillage.Message(err))
	}
	if ref.Label == "" {
		errs = append(errs, "Le libellé du référentiel est obligatoire.")
	}
	if len(errs) > 0 {
		return s.renderReferentials(w, r, req, http.StatusBadRequest, errs, ref)
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error { return tx.Records().CreateReferential(ctx, req.P.UAI, &ref) })
	if sillage.KindOf(err) == sillage.KindConflict {
		return s.renderReferentials(w, r, req, http.StatusConflict, []string{sillage.Message(err)}, ref)
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d", ref.ID), "Référentiel créé : ajoutez ses compétences.")
}

func (s *Server) importReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez le fichier JSON d'un référentiel (4 Mo au plus)")
	}
	defer r.MultipartForm.RemoveAll()
	file, _, err := r.FormFile("fichier")
	if err != nil {
		return sillage.Errorf(sillage.KindInvalid, "aucun fichier reçu : choisissez le fichier JSON d'un référentiel")
	}
	defer file.Close()
	ctx := r.Context()
	var rep records.ReferentialReport
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		rep, err = records.ImportReferential(ctx, tx, req.P.UAI, file)
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d", rep.Referential.ID), rep.Message())
}

// domainGroup is a domain of a referential with its competences.
type domainGroup struct {
	Name        string
	Competences []competenceRow
}

type competenceRow struct {
	sillage.Competence
	First, Last bool
}

func (s *Server) referentialPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderReferential(w, r, req, http.StatusOK, nil)
}

func (s *Server) renderReferential(w http.ResponseWriter, r *http.Request, req *Request, status int, errs []string) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ref sillage.Referential
	var evals, results int
	var diplomas records.Diplomas
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if ref, err = tx.Records().GetReferential(ctx, req.P.UAI, id); err != nil {
			return err
		}
		if diplomas, err = records.LoadDiplomas(ctx, tx, req.P.UAI); err != nil {
			return err
		}
		evals, results, err = tx.Records().CountReferentialUse(ctx, req.P.UAI, id)
		return err
	})
	if err != nil {
		return err
	}
	var groups []domainGroup
	var domains []string
	for i, c := range ref.Competences {
		if len(groups) == 0 || groups[len(groups)-1].Name != c.Domain {
			groups = append(groups, domainGroup{Name: c.Domain})
			if !containsString(domains, c.Domain) && c.Domain != "" {
				domains = append(domains, c.Domain)
			}
		}
		g := &groups[len(groups)-1]
		g.Competences = append(g.Competences, competenceRow{Competence: c, First: i == 0, Last: i == len(ref.Competences)-1})
	}
	return s.render(w, r, req, status, "referential.html", ref.Label, map[string]any{
		"Ref": ref, "DiplomaName": diplomas.Name(ref.Diploma), "Groups": groups, "Domains": domains, "Manage": req.P.Allowed(auth.ManageReferentials), "Errors": errs,
		"Evaluations": evals, "Results": results,
		"Kinds": []sillage.ReferentialKind{sillage.ReferentialBacPro, sillage.ReferentialBEP, sillage.ReferentialOther},
	})
}

func (s *Server) updateReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	label := strings.TrimSpace(r.FormValue("libelle"))
	kind, kerr := records.ParseReferentialKind(r.FormValue("type"))
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		ref, err := tx.Records().GetReferential(ctx, req.P.UAI, id)
		if err != nil {
			return err
		}
		if kerr != nil {
			return kerr
		}
		if label == "" {
			return sillage.Errorf(sillage.KindInvalid, "le libellé du référentiel est obligatoire")
		}
		ref.Label, ref.Kind = label, kind
		return tx.Records().UpdateReferential(ctx, req.P.UAI, ref)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d", id), "Référentiel enregistré.")
}

func (s *Server) exportReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var ref sillage.Referential
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { ref, err = tx.Records().GetReferential(ctx, req.P.UAI, id); return err }); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", contentDisposition("referentiel-"+ref.Diploma+".json"))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(records.ReferentialToFile(ref))
}

// competenceFromForm reads a competence's fields.
func competenceFromForm(r *http.Request, c *sillage.Competence) error {
	c.Domain = strings.TrimSpace(r.FormValue("domaine"))
	c.Code = strings.TrimSpace(r.FormValue("code"))
	c.Label = strings.TrimSpace(r.FormValue("libelle"))
	return c.Validate()
}

func (s *Server) addCompetence(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var c sillage.Competence
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		ref, err := tx.Records().GetReferential(ctx, req.P.UAI, id)
		if err != nil {
			return err
		}
		c = sillage.Competence{ReferentialID: ref.ID, Position: len(ref.Competences) + 1}
		if err := competenceFromForm(r, &c); err != nil {
			return err
		}
		// A new competence goes after the last one of its domain.
		ordered := make([]int64, 0, len(ref.Competences)+1)
		placed := false
		for i, x := range ref.Competences {
			ordered = append(ordered, x.ID)
			nextDiffers := i+1 == len(ref.Competences) || ref.Competences[i+1].Domain != c.Domain
			if !placed && x.Domain == c.Domain && nextDiffers {
				ordered = append(ordered, 0)
				placed = true
			}
		}
		if !placed {
			ordered = append(ordered, 0)
		}
		for i, x := range ordered {
			if x == 0 {
				c.Position = i + 1
			}
		}
		if err := tx.Records().CreateCompetence(ctx, req.P.UAI, &c); err != nil {
			return err
		}
		for i := range ordered {
			if ordered[i] == 0 {
				ordered[i] = c.ID
			}
		}
		return tx.Records().SetCompetencePositions(ctx, req.P.UAI, ref.ID, ordered)
	})
	if k := sillage.KindOf(err); k == sillage.KindInvalid || k == sillage.KindConflict {
		return s.renderReferential(w, r, req, http.StatusBadRequest, []string{sillage.Message(err)})
	}
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d#c%d", id, c.ID), "Compétence "+c.Code+" ajoutée.")
}

func (s *Server) updateCompetence(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "competence")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var c sillage.Competence
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Records().GetCompetence(ctx, req.P.UAI, id); err != nil {
			return err
		}
		if err := competenceFromForm(r, &c); err != nil {
			return err
		}
		err = tx.Records().UpdateCompetence(ctx, req.P.UAI, c)
		if sillage.KindOf(err) == sillage.KindConflict {
			return sillage.Errorf(sillage.KindConflict, "le code %s est déjà celui d'une autre compétence de ce référentiel", c.Code)
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d#c%d", c.ReferentialID, c.ID), "Compétence "+c.Code+" enregistrée.")
}

// moveCompetence moves a competence one place up or down (sens=haut|bas).
func (s *Server) moveCompetence(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "competence")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	dir := r.FormValue("sens")
	ctx := r.Context()
	var c sillage.Competence
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Records().GetCompetence(ctx, req.P.UAI, id); err != nil {
			return err
		}
		if dir != "haut" && dir != "bas" {
			return sillage.Errorf(sillage.KindInvalid, "sens de déplacement inconnu : haut ou bas")
		}
		cs, err := tx.Records().ListCompetences(ctx, req.P.UAI, c.ReferentialID)
		if err != nil {
			return err
		}
		ids := make([]int64, len(cs))
		for i, x := range cs {
			ids[i] = x.ID
		}
		for i := range ids {
			if ids[i] != id {
				continue
			}
			j := i - 1
			if dir == "bas" {
				j = i + 1
			}
			if j >= 0 && j < len(ids) {
				ids[i], ids[j] = ids[j], ids[i]
				// Moving across a domain boundary joins the neighbour's domain.
				if cs[j].Domain != c.Domain {
					c.Domain = cs[j].Domain
					if err := tx.Records().UpdateCompetence(ctx, req.P.UAI, c); err != nil {
						return err
					}
				}
			}
			break
		}
		return tx.Records().SetCompetencePositions(ctx, req.P.UAI, c.ReferentialID, ids)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d#c%d", c.ReferentialID, c.ID), "")
}

// deleteCompetence deletes a competence with its results, after a
// confirmation that says how many results go with it; the deletion is in
// the audit log, in the same transaction.
func (s *Server) deleteCompetence(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "competence")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var c sillage.Competence
	var ref sillage.Referential
	var results int
	confirmed := r.FormValue("confirmer") == "1"
	deleted := false
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if c, err = tx.Records().GetCompetence(ctx, req.P.UAI, id); err != nil {
			return err
		}
		if ref, err = tx.Records().GetReferential(ctx, req.P.UAI, c.ReferentialID); err != nil {
			return err
		}
		if results, err = tx.Records().CountCompetenceResults(ctx, req.P.UAI, id); err != nil {
			return err
		}
		if results > 0 && !confirmed {
			return nil
		}
		if err := tx.Records().DeleteCompetence(ctx, req.P.UAI, id); err != nil {
			return err
		}
		deleted = true
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.ReferentialDeleted,
			fmt.Sprintf("compétence %s « %s » du référentiel %s", c.Code, c.Label, ref.Label),
			fmt.Sprintf("%d résultat(s) supprimé(s) avec elle", results))
	})
	if err != nil {
		return err
	}
	if !deleted {
		return s.render(w, r, req, http.StatusOK, "confirm.html", "Supprimer une compétence", confirmData{
			Question: fmt.Sprintf("Supprimer la compétence %s « %s » ?", c.Code, c.Label),
			Details: []string{fmt.Sprintf("%d résultat(s) d'élèves sur cette compétence seront supprimés avec elle, définitivement.", results),
				"La suppression est inscrite au journal de l'établissement."},
			Action: r.URL.Path, Cancel: fmt.Sprintf("/referentiels/%d#c%d", ref.ID, c.ID), Button: "Supprimer la compétence et ses résultats"})
	}
	msg := "Compétence " + c.Code + " supprimée."
	if results > 0 {
		msg = fmt.Sprintf("Compétence %s supprimée avec %d résultat(s).", c.Code, results)
	}
	return s.redirect(w, r, req, fmt.Sprintf("/referentiels/%d", ref.ID), msg)
}

// deleteReferential deletes a referential no evaluation uses, with its
// competences, after confirmation.
func (s *Server) deleteReferential(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "referential")
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var ref sillage.Referential
	confirmed := r.FormValue("confirmer") == "1"
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		if ref, err = tx.Records().GetReferential(ctx, req.P.UAI, id); err != nil {
			return err
		}
		evals, _, err := tx.Records().CountReferentialUse(ctx, req.P.UAI, id)
		if err != nil {
			return err
		}
		if evals > 0 {
			return sillage.Errorf(sillage.KindConflict, "ce référentiel est utilisé par %d évaluation(s) (corbeille comprise) : il ne peut pas être supprimé", evals)
		}
		if !confirmed {
			return nil
		}
		if err := tx.Records().DeleteReferential(ctx, req.P.UAI, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.ReferentialDeleted, "référentiel "+ref.Label+" ("+ref.Diploma+")",
			strconv.Itoa(len(ref.Competences))+" compétence(s) supprimée(s) avec lui")
	})
	if err != nil {
		return err
	}
	if !confirmed {
		return s.render(w, r, req, http.StatusOK, "confirm.html", "Supprimer un référentiel", confirmData{
			Question: fmt.Sprintf("Supprimer le référentiel « %s » et ses %d compétence(s) ?", ref.Label, len(ref.Competences)),
			Details:  []string{"Aucune évaluation ne l'utilise. La suppression est inscrite au journal de l'établissement."},
			Action:   r.URL.Path, Cancel: fmt.Sprintf("/referentiels/%d", id), Button: "Supprimer le référentiel"})
	}
	return s.redirect(w, r, req, "/referentiels", "Référentiel « "+ref.Label+" » supprimé.")
}

// The result scale.

func (s *Server) scalePage(w http.ResponseWriter, r *http.Request, req *Request) error {
	return s.renderScale(w, r, req, http.StatusOK, nil, nil)
}

func (s *Server) renderScale(w http.ResponseWriter, r *http.Request, req *Request, status int, typed sillage.Scale, errs []string) error {
	ctx := r.Context()
	var sc sillage.Scale
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { sc, err = scaleOf(ctx, tx, req.P.UAI); return err }); err != nil {
		return err
	}
	rows := sc
	if typed != nil {
		rows = typed
	}
	if req.P.Allowed(auth.ManageReferentials) {
		rows = append(append(sillage.Scale{}, rows...), sillage.ScaleLevel{Points: 0}, sillage.ScaleLevel{Points: 0})
	}
	return s.render(w, r, req, status, "scale.html", "Échelle des résultats", map[string]any{
		"Scale": sc, "Rows": rows, "Manage": req.P.Allowed(auth.ManageReferentials), "Errors": errs})
}

func (s *Server) saveScale(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	codes, labels, points := r.Form["code"], r.Form["libelle"], r.Form["points"]
	var sc sillage.Scale
	var errs []string
	for i := range codes {
		code := records.NormalizeValue(codes[i])
		label := ""
		if i < len(labels) {
			label = strings.TrimSpace(labels[i])
		}
		if code == "" && label == "" {
			continue
		}
		p := 0
		if i < len(points) {
			n, err := strconv.Atoi(strings.TrimSpace(points[i]))
			if err != nil {
				errs = append(errs, fmt.Sprintf("Niveau %s : les points doivent être un nombre de -1 à 4.", code))
			}
			p = n
		}
		sc = append(sc, sillage.ScaleLevel{Code: code, Label: label, Points: p})
	}
	if len(errs) == 0 {
		if err := records.CheckScale(sc); err != nil {
			errs = append(errs, sillage.Message(err))
		}
	}
	if len(errs) > 0 {
		return s.renderScale(w, r, req, http.StatusBadRequest, sc, errs)
	}
	data, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		old, err := scaleOf(ctx, tx, req.P.UAI)
		if err != nil {
			return err
		}
		if err := tx.Periods().SetSetting(ctx, req.P.UAI, records.ScaleSetting, string(data)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), records.AuditScaleChanged, "échelle des résultats",
			"avant : "+scaleText(old)+" ; après : "+scaleText(sc))
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/echelle", "Échelle enregistrée.")
}

func scaleText(sc sillage.Scale) string {
	parts := make([]string, len(sc))
	for i, l := range sc {
		parts[i] = l.Code + " " + l.Label
	}
	return strings.Join(parts, ", ")
}
