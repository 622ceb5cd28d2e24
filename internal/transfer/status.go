package transfer

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/csvout"
	"github.com/sillage/sillage/internal/store"
)

// StatusFilter selects the lines of the follow-up lists (transfer.md 7).
type StatusFilter struct {
	Since time.Time // inclusive; zero: the last Retention.NewStudentMonths months
	Until time.Time // exclusive; zero: unbounded
	Done  string    // "" any, "oui" done only, "non" not done only
}

// DayStart is the first instant of a day of the schools' calendar
// (sillage.SchoolZone): the bounds of the follow-up's dates, which the
// lists show in that zone.
func DayStart(d sillage.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, sillage.SchoolZone)
}

// ParseDone reads the status filter of a form or a flag.
func ParseDone(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "tous", "all":
		return "", nil
	case "oui", "yes", "done", "effectue":
		return "oui", nil
	case "non", "no", "not-done", "impossible":
		return "non", nil
	}
	return "", sillage.Errorf(sillage.KindInvalid, "état %q inconnu : oui, non ou tous", s)
}

// Line is one transfer as an establishment sees it.
type Line struct {
	Date      time.Time   `json:"date"`
	Direction string      `json:"sens"`  // "reçu" or "envoyé"
	Student   string      `json:"eleve"` // the name at the destination, initials at the origin
	StudentID int64       `json:"-"`     // the destination student (incoming only)
	OtherUAI  sillage.UAI `json:"autre_uai"`
	OtherName string      `json:"autre_etablissement,omitempty"`
	Done      bool        `json:"effectue"`
	Final     bool        `json:"definitif"`
	Reason    string      `json:"cause,omitempty"`
	Counts    *Counts     `json:"nombres,omitempty"`
	Manifest  string      `json:"empreinte,omitempty"`
}

// PendingLine is a new student still waiting.
type PendingLine struct {
	StudentID    int64       `json:"-"`
	Student      string      `json:"eleve"`
	Division     string      `json:"division,omitempty"`
	EnteredAt    time.Time   `json:"entre_le"`
	PreviousUAI  sillage.UAI `json:"ancien_uai,omitempty"`
	PreviousName string      `json:"ancien_etablissement,omitempty"`
	Reason       string      `json:"raison"`
}

// Status is the follow-up of one establishment: the four lists of the
// dashboard (transfer.md 7).
type Status struct {
	UAI        sillage.UAI   `json:"uai"`
	Since      time.Time     `json:"depuis"`
	Until      time.Time     `json:"jusqu_au,omitzero"`
	Done       string        `json:"effectue,omitempty"`
	Incoming   []Line        `json:"recus"`
	Outgoing   []Line        `json:"envoyes"`
	Pending    []PendingLine `json:"en_attente"`
	Impossible []Line        `json:"impossibles"`
}

// LoadStatus reads the lists of an establishment.
func LoadStatus(ctx context.Context, st *store.Store, uai sillage.UAI, f StatusFilter, ret sillage.Retention) (*Status, error) {
	if ret == (sillage.Retention{}) {
		ret = sillage.DefaultRetention()
	}
	if f.Since.IsZero() {
		f.Since = sillage.MonthsBefore(st.Clock().Now(), ret.NewStudentMonths)
	}
	s := &Status{UAI: uai, Since: f.Since, Until: f.Until, Done: f.Done, Incoming: []Line{}, Outgoing: []Line{}, Pending: []PendingLine{}, Impossible: []Line{}}
	done := map[string]int{"": 0, "oui": 1, "non": 2}[f.Done]
	err := st.Read(ctx, func(tx *store.Tx) error {
		in, err := tx.Transfer().ListTransferLog(ctx, uai, sillage.TransferLogFilter{Side: sillage.TransferIncoming, Since: f.Since, Until: f.Until, Done: done})
		if err != nil {
			return err
		}
		out, err := tx.Transfer().ListTransferLog(ctx, uai, sillage.TransferLogFilter{Side: sillage.TransferOutgoing, Since: f.Since, Until: f.Until, Done: done})
		if err != nil {
			return err
		}
		for _, e := range in {
			l := lineOf(e, true)
			s.Incoming = append(s.Incoming, l)
			if !e.Done {
				s.Impossible = append(s.Impossible, l)
			}
		}
		for _, e := range out {
			l := lineOf(e, false)
			s.Outgoing = append(s.Outgoing, l)
			if !e.Done && e.Reason != string(ReasonAwaitingReceipt) {
				s.Impossible = append(s.Impossible, l)
			}
		}
		sort.SliceStable(s.Impossible, func(i, j int) bool { return s.Impossible[i].Date.After(s.Impossible[j].Date) })
		if f.Done == "oui" {
			return nil // pending students have received nothing
		}
		// The window applies to the pending list too: students entered in
		// it, less those whose impossible line is in the impossible list
		// (in the same window), with its reason.
		pending, err := tx.Transfer().ListPendingTransfers(ctx, uai, sillage.PendingTransferFilter{Since: f.Since, Until: f.Until})
		if err != nil {
			return err
		}
		// Students whose record is asked of another instance: who holds it.
		asked, err := tx.CrossTenant().ListFederationRequests(ctx, uai)
		if err != nil {
			return err
		}
		federated := map[int64]string{}
		for _, q := range asked {
			if r := federationPending(q); r != "" && federated[q.DestStudentID] == "" {
				federated[q.DestStudentID] = r
			}
		}
		for _, p := range pending {
			if p.ImpossibleLog {
				continue // in the impossible list, with its reason
			}
			var active []sillage.UAI
			if p.ActiveIn != "" {
				active = []sillage.UAI{p.ActiveIn}
			}
			reason := PendingReason(active, p.PreviousUAI)
			if p.ServedAway {
				reason = ReasonServedAwayText
			} else if p.EntryWaiting {
				reason = "Dossier trouvé : transfert au prochain passage"
			} else if r := federated[p.StudentID]; r != "" {
				reason = r
			}
			s.Pending = append(s.Pending, PendingLine{StudentID: p.StudentID, Student: strings.TrimSpace(strings.ToUpper(p.LastName) + " " + p.FirstName),
				Division: p.DivisionCode, EnteredAt: p.EnteredAt, PreviousUAI: p.PreviousUAI, PreviousName: p.PreviousName, Reason: reason})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func lineOf(e sillage.TransferLogEntry, incoming bool) Line {
	l := Line{Date: e.At, Done: e.Done, Final: e.Final, Reason: ReasonLabel(e.Reason), Manifest: e.Manifest}
	if e.Counts != "" {
		c := ParseCounts(e.Counts)
		l.Counts = &c
	}
	if incoming {
		l.Direction, l.Student, l.StudentID, l.OtherUAI, l.OtherName = "reçu", e.DestName, e.DestStudentID, e.OriginUAI, e.OriginName
	} else {
		l.Direction, l.Student, l.OtherUAI, l.OtherName = "envoyé", e.OriginInitials, e.DestUAI, e.DestEstab
		if l.Student == "" {
			l.Student = "[masqué]"
		}
	}
	if e.Peer != "" {
		// The other side is an establishment of a peer instance.
		l.OtherName = peerName(e.Peer)
	}
	return l
}

// Lists are the names of the downloadable lists.
var Lists = []string{"recus", "envoyes", "en-attente", "impossibles"}

// WriteCSV writes one list of the status as CSV for spreadsheets
// (csvout: UTF-8 with a byte order mark, ';' between fields, no formula).
func WriteCSV(w io.Writer, s *Status, list string) error {
	cw := csvout.NewWriter(w)
	counts := func(c *Counts) []string {
		if c == nil {
			return []string{"", "", "", "", ""}
		}
		return []string{strconv.Itoa(c.Evaluations), strconv.Itoa(c.Results), strconv.Itoa(c.Comments), strconv.Itoa(c.Sheets), strconv.Itoa(c.Files)}
	}
	// The days are the schools' (an instant near midnight UTC is the next
	// day in Paris): the header says so.
	date, entered := "Date ("+sillage.ZoneLabel()+")", "Entré le ("+sillage.ZoneLabel()+")"
	var rows [][]string
	switch list {
	case "recus", "envoyes":
		lines, who, where := s.Incoming, "Élève", "Venant de (UAI)"
		if list == "envoyes" {
			lines, who, where = s.Outgoing, "Élève (initiales)", "Parti vers (UAI)"
		}
		rows = append(rows, []string{date, who, where, "Établissement", "Transfert effectué", "Cause", "Évaluations", "Résultats",
			"Commentaires", "Fiches", "Fichiers", "Empreinte (SHA-256)"})
		for _, l := range lines {
			rows = append(rows, append([]string{sillage.FormatDate(l.Date), l.Student, string(l.OtherUAI), l.OtherName, sillage.FormatBool(l.Done), l.Reason},
				append(counts(l.Counts), l.Manifest)...))
		}
	case "en-attente":
		rows = append(rows, []string{"Élève", "Division", entered, "Ancien établissement (UAI)", "Ancien établissement", "Raison"})
		for _, p := range s.Pending {
			rows = append(rows, []string{p.Student, p.Division, sillage.FormatDate(p.EnteredAt), string(p.PreviousUAI), p.PreviousName, p.Reason})
		}
	case "impossibles":
		rows = append(rows, []string{date, "Sens", "Élève", "Autre établissement (UAI)", "Établissement", "Cause", "Définitif"})
		for _, l := range s.Impossible {
			rows = append(rows, []string{sillage.FormatDate(l.Date), l.Direction, l.Student, string(l.OtherUAI), l.OtherName, l.Reason, sillage.FormatBool(l.Final)})
		}
	default:
		return sillage.Errorf(sillage.KindNotFound, "liste %q inconnue", list)
	}
	for _, row := range rows {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// ChangeSettings turns an establishment's transfers on or off and records
// the change (transfer.md 1): turning on needs the CNIL declaration number
// (or the GDPR register reference), trimmed, at most 64 characters;
// turning off needs none and keeps the number already recorded when none
// is given. Every change — on, off, number changed — is audited with who
// did it, in the same transaction. It reports whether anything changed.
func ChangeSettings(ctx context.Context, tx *store.Tx, uai sillage.UAI, enable bool, reference string, who audit.Actor) (bool, error) {
	est, err := tx.Establishments().GetEstablishment(ctx, uai)
	if err != nil {
		return false, err
	}
	ref := strings.TrimSpace(reference)
	if enable {
		if ref, err = sillage.NormalizeTransferReference(ref); err != nil {
			return false, err
		}
	} else if ref == "" {
		ref = est.Transfer.Reference
	} else if len([]rune(ref)) > sillage.MaxTransferReferenceLen {
		return false, sillage.Errorf(sillage.KindInvalid, "le numéro de déclaration ne peut dépasser %d caractères", sillage.MaxTransferReferenceLen)
	}
	old := est.Transfer
	if old.Enabled == enable && old.Reference == ref {
		return false, nil
	}
	if err := tx.Establishments().SetTransferSettings(ctx, uai, sillage.TransferSettings{Enabled: enable, Reference: ref}); err != nil {
		return false, err
	}
	var what []string
	switch {
	case enable && !old.Enabled:
		what = append(what, "transfert activé")
	case !enable && old.Enabled:
		what = append(what, "transfert désactivé")
	}
	if old.Reference != ref {
		what = append(what, fmt.Sprintf("numéro de déclaration %s", changeText(old.Reference, ref)))
	}
	state := "désactivé"
	if enable {
		state = "activé"
	}
	return true, audit.Record(ctx, tx, uai, who, audit.TransferSettings, "transfert des dossiers",
		strings.Join(what, " ; ")+fmt.Sprintf(" (état : %s, numéro : %q)", state, ref))
}

func changeText(old, new string) string {
	switch {
	case old == "":
		return fmt.Sprintf("saisi : %q", new)
	case new == "":
		return fmt.Sprintf("effacé (était %q)", old)
	}
	return fmt.Sprintf("modifié : %q → %q", old, new)
}
