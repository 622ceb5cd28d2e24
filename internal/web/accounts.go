package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/accounts"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/auth"
	"github.com/sillage/sillage/internal/french"
	"github.com/sillage/sillage/internal/store"
)

// accountRow is a line of the accounts page.
type accountRow struct {
	Person   sillage.Person
	Login    string
	State    string // "à activer", "actif", "sans compte", "fermé"
	Division string
	Imported string // the directory the person comes from ("SIECLE"…), "" when created by hand
	// Civilities offered by the rectification form: the usual ones, and
	// the person's own when an import wrote another ("MME").
	Civilities []string
	// CanReset: the person may be given new credentials (active, or a
	// departed student until AccessEnds, their download window).
	CanReset   bool
	AccessEnds time.Time
}

// importedFrom names the directory whose next import rewrites a person's
// identity, "" for a person created in Sillage.
func importedFrom(src sillage.Source) string {
	switch src {
	case sillage.SourceSIECLE:
		return "SIECLE"
	case sillage.SourceSTS:
		return "STS-web"
	case sillage.SourceAAF:
		return "l'annuaire (AAF)"
	case sillage.SourceONDE:
		return "ONDE"
	}
	return ""
}

func accountState(p sillage.Person, acc sillage.Account, has bool) string {
	switch {
	case !has:
		return "sans compte"
	case !acc.ClosedAt.IsZero():
		return "fermé"
	case !p.Active():
		return "désactivé"
	case acc.PasswordHash == "" || acc.MustChangePassword && acc.LastSignInAt.IsZero():
		return "à activer"
	}
	return "actif"
}

var staffRoles = []sillage.Role{sillage.RoleTeacher, sillage.RoleDirector, sillage.RoleAdministrator, sillage.RoleStaff}

// peopleQuery is the profile and name filter of the people lists
// (accounts, last sign-ins): a teacher unless another profile is asked.
func peopleQuery(r *http.Request) (sillage.Role, string) {
	role := sillage.Role(r.URL.Query().Get("role"))
	if _, err := sillage.ParseRole(string(role)); err != nil {
		role = sillage.RoleTeacher
	}
	return role, r.URL.Query().Get("q")
}

// listedPerson is a person of a people list with their account (zero when
// they have none) and, for a student, their division.
type listedPerson struct {
	sillage.Person
	Account  sillage.Account
	Division string
}

// listPeople returns the people of one profile whose name matches q, in
// French order.
func listPeople(ctx context.Context, tx *store.Tx, uai sillage.UAI, role sillage.Role, q french.Query) ([]listedPerson, error) {
	persons, err := tx.People().ListPersons(ctx, uai, sillage.PersonFilter{Role: role})
	if err != nil {
		return nil, err
	}
	divisions := map[int64]string{}
	if role == sillage.RoleStudent {
		students, err := tx.People().ListStudents(ctx, uai, sillage.StudentFilter{})
		if err != nil {
			return nil, err
		}
		for _, st := range students {
			divisions[st.ID] = st.DivisionCode
		}
	}
	accs, err := tx.Accounts().ListRoleAccounts(ctx, uai, role)
	if err != nil {
		return nil, err
	}
	var out []listedPerson
	for _, p := range persons {
		if !q.Match(p.FullName()) {
			continue
		}
		out = append(out, listedPerson{Person: p, Account: accs[p.ID], Division: divisions[p.ID]})
	}
	return out, nil
}

func (s *Server) accountsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	role, q := peopleQuery(r)
	var rows []accountRow
	var page pager
	err := s.store.Read(ctx, func(tx *store.Tx) error {
		people, err := listPeople(ctx, tx, req.P.UAI, role, french.ParseQuery(q))
		if err != nil {
			return err
		}
		people, page = paginate(r, people, "personne", "personnes")
		for _, lp := range people {
			p := lp.Person
			row := accountRow{Person: p, Division: lp.Division, Imported: importedFrom(p.Source), Civilities: accounts.Civilities,
				Login: lp.Account.Login, State: accountState(p, lp.Account, p.AccountID != 0), CanReset: p.Active()}
			if !p.Active() && p.Role == sillage.RoleStudent && lp.Account.ClosedAt.IsZero() {
				row.AccessEnds = s.cfg.Retention.DepartedAccessEnds(p.DeactivatedAt)
				row.CanReset = s.clock.Now().Before(row.AccessEnds)
			}
			if p.Civility != "" && !slices.Contains(accounts.Civilities, p.Civility) {
				row.Civilities = append(slices.Clip(accounts.Civilities), p.Civility)
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "accounts.html", "Comptes", map[string]any{
		"Rows": rows, "Page": page, "Role": role, "Roles": sillage.Roles, "StaffRoles": staffRoles, "Q": q})
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var created accounts.Created
	err := s.store.Write(ctx, func(tx *store.Tx) (err error) {
		created, err = accounts.Create(ctx, tx, req.P.UAI, req.Actor(), accounts.NewPerson{
			Role: sillage.Role(r.PostFormValue("role")), Civility: r.PostFormValue("civility"),
			FirstName: r.PostFormValue("first_name"), LastName: r.PostFormValue("last_name"), Email: r.PostFormValue("email")})
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "account_secret.html", "Compte créé", map[string]any{"Created": created, "New": true})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "person")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var created accounts.Created
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		created, err = accounts.ResetPassword(ctx, tx, req.P.UAI, req.Actor(), id, s.cfg.Retention)
		return err
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "account_secret.html", "Nouveau mot de passe provisoire", map[string]any{"Created": created})
}

// personInReach resolves a person of the establishment (not found otherwise)
// before any form is validated, so another establishment's id is "not found".
func (s *Server) personInReach(r *http.Request, req *Request) (sillage.Person, error) {
	id, err := pathID(r, "person")
	if err != nil {
		return sillage.Person{}, err
	}
	ctx := r.Context()
	var p sillage.Person
	err = s.store.Read(ctx, func(tx *store.Tx) (err error) { p, err = tx.People().GetPerson(ctx, req.P.UAI, id); return err })
	return p, err
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, req *Request) error {
	p, err := s.personInReach(r, req)
	if err != nil {
		return err
	}
	id := p.ID
	if err := parseForm(w, r); err != nil {
		return err
	}
	role := sillage.Role(r.PostFormValue("role"))
	if role == "" {
		return sillage.Errorf(sillage.KindInvalid, "choisissez un rôle")
	}
	if id == req.P.PersonID {
		return sillage.Errorf(sillage.KindInvalid, "vous ne pouvez pas changer votre propre rôle")
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error { return accounts.ChangeRole(ctx, tx, req.P.UAI, req.Actor(), id, role) })
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/comptes?role="+string(role), "Le rôle a été changé.")
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, req *Request) error {
	p, err := s.personInReach(r, req)
	if err != nil {
		return err
	}
	id := p.ID
	if err := parseForm(w, r); err != nil {
		return err
	}
	if id == req.P.PersonID {
		return sillage.Errorf(sillage.KindInvalid, "vous ne pouvez pas supprimer votre propre compte")
	}
	if r.PostFormValue("confirm") != "1" {
		return sillage.Errorf(sillage.KindInvalid, "confirmez la suppression : elle efface la personne et toutes ses données")
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		return accounts.Delete(ctx, tx, req.P.UAI, req.Actor(), id, sillage.ClosedDeleted)
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/comptes", "Le compte et les données de la personne ont été supprimés.")
}

// rectifyPerson corrects a person's civility, names and e-mail
// (privacy.md: rectification through the administrator, journaled).
func (s *Server) rectifyPerson(w http.ResponseWriter, r *http.Request, req *Request) error {
	p, err := s.personInReach(r, req)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	var changed bool
	err = s.store.Write(ctx, func(tx *store.Tx) (err error) {
		changed, err = accounts.Rectify(ctx, tx, req.P.UAI, req.Actor(), p.ID, accounts.Identity{
			Civility: r.PostFormValue("civility"), LastName: r.PostFormValue("last_name"),
			FirstName: r.PostFormValue("first_name"), Email: r.PostFormValue("email")})
		return err
	})
	if err != nil {
		return err
	}
	msg := "Aucune modification."
	if changed {
		msg = "Identité corrigée."
	}
	return s.redirect(w, r, req, "/comptes?role="+string(p.Role), msg)
}

func (s *Server) credentialsPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var lists []sillage.CredentialList
	var divisions []sillage.Division
	err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		if lists, err = tx.Accounts().ListCredentialLists(ctx, req.P.UAI); err != nil {
			return err
		}
		divisions, err = tx.People().ListDivisions(ctx, req.P.UAI, sillage.SchoolYearOf(s.clock.Now()))
		return err
	})
	if err != nil {
		return err
	}
	// Lists past their days are not offered, even before the weekly
	// housekeeping deletes them.
	type listRow struct {
		sillage.CredentialList
		Until time.Time
	}
	var rows []listRow
	for _, l := range lists {
		if !accounts.CredentialListExpired(l, s.clock.Now(), s.cfg.CredentialListDays) {
			rows = append(rows, listRow{l, accounts.CredentialListExpiry(l.CreatedAt, s.cfg.CredentialListDays)})
		}
	}
	return s.render(w, r, req, http.StatusOK, "credentials.html", "Fichiers d'identifiants",
		map[string]any{"Lists": rows, "Divisions": divisions, "Days": s.cfg.CredentialListDays})
}

func (s *Server) issueCredentials(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	ctx := r.Context()
	target := r.PostFormValue("division")
	if target == "" {
		return sillage.Errorf(sillage.KindInvalid, "choisissez une classe ou les personnels")
	}
	box, err := s.secrets()
	if err != nil {
		return err
	}
	var list sillage.CredentialList
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if target == "staff" {
			list, _, err = accounts.IssueStaff(ctx, tx, s.blobs, box, req.P.UAI, req.Actor(), s.signInAddress(r), sillage.SchoolYearOf(s.clock.Now()))
			return err
		}
		id, err := formID(r, "division")
		if err != nil || id == 0 {
			return sillage.Errorf(sillage.KindInvalid, "classe inconnue")
		}
		list, _, err = accounts.IssueDivision(ctx, tx, s.blobs, box, req.P.UAI, req.Actor(), s.signInAddress(r), id)
		return err
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/comptes/identifiants", fmt.Sprintf("%s : %d mots de passe provisoires édités. Téléchargez la liste ci-dessous.", list.Title, list.Accounts))
}

// signInAddress is the sign-in page's address printed on credential slips:
// the public URL when one is set (SILLAGE_BASE_URL), else the address the
// administrator issuing the list reaches Sillage at.
func (s *Server) signInAddress(r *http.Request) string {
	if base := strings.TrimSpace(s.cfg.BaseURL); base != "" {
		return strings.TrimRight(base, "/") + "/connexion"
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/connexion"
}

func (s *Server) downloadCredentials(format string) handler {
	return func(w http.ResponseWriter, r *http.Request, req *Request) error {
		return s.serveCredentials(w, r, req, format)
	}
}

func (s *Server) serveCredentials(w http.ResponseWriter, r *http.Request, req *Request, format string) error {
	id, err := pathID(r, "list")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var l sillage.CredentialList
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) {
		l, err = tx.Accounts().GetCredentialList(ctx, req.P.UAI, id)
		return err
	}); err != nil {
		return err
	}
	if accounts.CredentialListExpired(l, s.clock.Now(), s.cfg.CredentialListDays) {
		return s.redirect(w, r, req, "/comptes/identifiants", fmt.Sprintf("Cette liste a plus de %d jours : elle n'est plus disponible. "+
			"Éditez une nouvelle liste pour les comptes encore inactifs.", s.cfg.CredentialListDays))
	}
	sum, ctype, ext := l.PDFSHA256, "application/pdf", "pdf"
	switch format {
	case "pdf":
	case "csv":
		sum, ctype, ext = l.CSVSHA256, "text/csv; charset=utf-8", "csv"
	default:
		return sillage.Errorf(sillage.KindNotFound, "format inconnu")
	}
	f, err := s.blobs.Open(sum)
	if err != nil {
		return err
	}
	defer f.Close()
	// The list is sealed; it is opened in memory (a few hundred lines) so
	// that a list that does not open is an error page, not half a file.
	sealed, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	box, err := s.secrets()
	if err != nil {
		return err
	}
	content, err := box.Open(sealed, accounts.Purpose)
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, "liste d'identifiants illisible (clé de chiffrement changée ?) : éditez une nouvelle liste")
	}
	name := fmt.Sprintf("identifiants-%s-%s.%s", strings.ToLower(string(req.P.UAI)), safeFileName(l.DivisionCode, "personnels"), ext)
	// The list holds passwords: who took it again, and when, is journaled.
	if err := s.store.Write(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.CredentialsIssued, name, fmt.Sprintf("téléchargement de la liste n° %d", l.ID))
	}); err != nil {
		return err
	}
	serveDownload(w, ctype, name)
	_, err = w.Write(content)
	return err
}

// safeFileName keeps a code usable in a file name.
func safeFileName(s, empty string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return empty
	}
	return b.String()
}

// serveDownload sets the headers of a file download.
func serveDownload(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
}

// tokenRow is a token as its page shows it.
type tokenRow struct {
	sillage.APIToken
	Expires time.Time
	// ExpiresOn is the expiry's day in the schools' zone.
	ExpiresOn string
	Live      bool
	State     string // "actif", "expiré le …", "révoqué le … (raison)"
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, req *Request) error {
	ctx := r.Context()
	var tokens []sillage.APIToken
	if err := s.store.Read(ctx, func(tx *store.Tx) (err error) { tokens, err = tx.Accounts().ListAPITokens(ctx, req.P.UAI); return err }); err != nil {
		return err
	}
	now := s.clock.Now()
	rows := make([]tokenRow, len(tokens))
	for i, t := range tokens {
		row := tokenRow{APIToken: t, Expires: s.tokenExpiry(t)}
		row.ExpiresOn = sillage.FormatDate(row.Expires)
		switch {
		case !t.RevokedAt.IsZero():
			row.State = "révoqué le " + sillage.FormatDate(t.RevokedAt)
			if t.RevokedReason != "" {
				row.State += " (" + t.RevokedReason + ")"
			}
		case !now.Before(row.Expires):
			row.State = "expiré le " + sillage.FormatDate(row.Expires)
		default:
			row.State, row.Live = "actif", true
		}
		rows[i] = row
	}
	return s.render(w, r, req, http.StatusOK, "tokens.html", "Jetons d'API", map[string]any{"Tokens": rows,
		"Lifetime": sillage.FormatDuration(s.tokenLifetime())})
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, req *Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	label := strings.TrimSpace(r.PostFormValue("label"))
	if label == "" || len([]rune(label)) > 80 {
		return sillage.Errorf(sillage.KindInvalid, "donnez un nom au jeton (80 caractères au plus), par exemple le script qui l'utilisera")
	}
	scope := sillage.TokenScope(r.PostFormValue("portee"))
	switch scope {
	case "":
		scope = sillage.ScopeRead
	case sillage.ScopeRead, sillage.ScopeReadWrite:
	default:
		return sillage.Errorf(sillage.KindInvalid, "portée du jeton inconnue : « lecture seule » ou « lecture et écriture »")
	}
	ctx := r.Context()
	token, hash := auth.NewToken()
	var t sillage.APIToken
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		t = sillage.APIToken{TokenHash: hash, Label: label, PersonID: req.P.PersonID, Scope: scope, ExpiresAt: tx.Now().Add(s.tokenLifetime())}
		if err := tx.Accounts().CreateAPIToken(ctx, req.P.UAI, &t); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.APITokenIssued, label,
			scope.Label()+", expire le "+sillage.FormatDate(t.ExpiresAt))
	})
	if err != nil {
		return err
	}
	return s.render(w, r, req, http.StatusOK, "token_secret.html", "Jeton créé", map[string]any{"Label": label, "Token": token,
		"Scope": scope.Label(), "ExpiresOn": sillage.FormatDate(t.ExpiresAt), "Lifetime": sillage.FormatDuration(s.tokenLifetime())})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, req *Request) error {
	id, err := pathID(r, "token")
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.store.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Accounts().RevokeAPIToken(ctx, req.P.UAI, id, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, req.P.UAI, req.Actor(), audit.APITokenRevoked, fmt.Sprint(id), "")
	})
	if err != nil {
		return err
	}
	return s.redirect(w, r, req, "/comptes/jetons", "Le jeton a été révoqué.")
}
