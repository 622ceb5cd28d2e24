package transfer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
	"github.com/sillage/sillage/internal/transfer"
)

// uaiN returns a valid UAI built on n.
func uaiN(n int) sillage.UAI {
	digits := fmt.Sprintf("0%06d", 860000+n)
	l, _ := sillage.UAICheckLetter(digits)
	return sillage.UAI(digits + string(l))
}

var (
	uaiA = uaiN(1)
	uaiB = uaiN(2)
	uaiC = uaiN(3)
	uaiD = uaiN(4) // transfer off
)

const diplomaMELEC = "24732205"
const diplomaCommerce = "24731210"

// world is a small instance: establishments A, B, C (transfer on) and D
// (off), a teacher in each, a referential of diploma MELEC at A (4
// competences) and at B (2 of them: the others are created by the
// transfer); C has none (copied).
type world struct {
	t       *testing.T
	st      *store.Store
	clock   *storetest.Clock
	teacher map[sillage.UAI]sillage.Person
	refs    map[sillage.UAI]sillage.Referential
	div     map[sillage.UAI]sillage.Division
	seq     int
}

func newWorld(t *testing.T, st *store.Store, clock *storetest.Clock) *world {
	t.Helper()
	w := &world{t: t, st: st, clock: clock, teacher: map[sillage.UAI]sillage.Person{}, refs: map[sillage.UAI]sillage.Referential{},
		div: map[sillage.UAI]sillage.Division{}}
	ctx := context.Background()
	w.write(func(tx *store.Tx) error {
		for i, u := range []sillage.UAI{uaiA, uaiB, uaiC, uaiD} {
			e := sillage.Establishment{UAI: u, Name: "Lycée " + string("ABCD"[i]), Kind: sillage.KindLP}
			if u != uaiD {
				e.Transfer = sillage.TransferSettings{Enabled: true, Reference: "CNIL-" + string(u)}
			}
			if err := tx.Establishments().CreateEstablishment(ctx, e); err != nil {
				return err
			}
			teacher := sillage.Person{Role: sillage.RoleTeacher, LastName: "Prof" + string("ABCD"[i]), FirstName: "Anne", Source: sillage.SourceManual}
			if err := tx.People().CreatePerson(ctx, u, &teacher); err != nil {
				return err
			}
			w.teacher[u] = teacher
			d := sillage.Division{SchoolYear: sillage.SchoolYearOf(clock.T), Code: "1MELEC", Label: "1re MELEC"}
			if err := tx.People().CreateDivision(ctx, u, &d); err != nil {
				return err
			}
			w.div[u] = d
		}
		full := sillage.Referential{Diploma: diplomaMELEC, Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC", Competences: []sillage.Competence{
			{Domain: "C1", Code: "C1.1", Label: "Analyser"}, {Domain: "C1", Code: "C1.2", Label: "Organiser"},
			{Domain: "C2", Code: "C2.1", Label: "Réaliser"}, {Domain: "C2", Code: "C2.2", Label: "Contrôler"}}}
		a := full
		a.Competences = append([]sillage.Competence(nil), full.Competences...)
		if err := tx.Records().CreateReferential(ctx, uaiA, &a); err != nil {
			return err
		}
		w.refs[uaiA] = a
		b := full
		b.Label = "MELEC (référentiel de B)"
		b.Competences = []sillage.Competence{{Domain: "C1", Code: "C1.1", Label: "Analyser"}, {Domain: "C2", Code: "C2.1", Label: "Réaliser"}}
		if err := tx.Records().CreateReferential(ctx, uaiB, &b); err != nil {
			return err
		}
		w.refs[uaiB] = b
		return nil
	})
	return w
}

func (w *world) write(fn func(tx *store.Tx) error) {
	w.t.Helper()
	if err := w.st.Write(context.Background(), fn); err != nil {
		w.t.Fatal(err)
	}
}

// student creates a student of u here for years (settled), with an
// account, in u's division.
func (w *world) student(u sillage.UAI, first, last, unqid, diploma string) sillage.Student {
	w.t.Helper()
	return w.create(u, first, last, unqid, diploma, sillage.TransferSettled)
}

// arrival creates a new student of u, as an import does.
func (w *world) arrival(u sillage.UAI, first, last, unqid, diploma string) sillage.Student {
	w.t.Helper()
	return w.create(u, first, last, unqid, diploma, sillage.TransferNew)
}

func (w *world) create(u sillage.UAI, first, last, unqid, diploma string, status sillage.TransferStatus) sillage.Student {
	w.t.Helper()
	ctx := context.Background()
	w.seq++
	s := sillage.Student{Person: sillage.Person{FirstName: first, LastName: last, Source: sillage.SourceSIECLE, SIECLEID: fmt.Sprint(w.seq)},
		Unqid: unqid, MEF: diploma + "310", Diploma: diploma, DivisionID: w.div[u].ID, TransferStatus: status}
	if status == sillage.TransferSettled {
		s.EnteredAt = w.clock.T.AddDate(-2, 0, 0)
	}
	w.write(func(tx *store.Tx) error {
		acc := sillage.Account{Login: fmt.Sprintf("%s.%s.%d", strings.ToLower(first), strings.ToLower(string(u)), w.seq)}
		if err := tx.Accounts().CreateAccount(ctx, &acc); err != nil {
			return err
		}
		s.AccountID = acc.ID
		return tx.People().CreateStudent(ctx, u, &s)
	})
	return s
}

// record gives s (at u, in the referential of u) two evaluations shared
// with a classmate, results, a comment, two sheets with two files each, a
// document and a parent.
func (w *world) record(u sillage.UAI, s sillage.Student, classmate sillage.Student) {
	w.t.Helper()
	ctx := context.Background()
	ref := w.refs[u]
	w.write(func(tx *store.Tx) error {
		for i, title := range []string{"Câblage d'un tableau", "Mise en service"} {
			ev := sillage.Evaluation{Title: title, Date: sillage.NewDate(2025, 9, 15+i), Level: "Première professionnelle", Diploma: ref.Diploma,
				ReferentialID: ref.ID, AuthorID: w.teacher[u].ID, DivisionID: w.div[u].ID}
			if err := tx.Records().CreateEvaluation(ctx, u, &ev); err != nil {
				return err
			}
			for k, c := range ref.Competences {
				for _, who := range []int64{s.ID, classmate.ID} {
					if err := tx.Records().SetResult(ctx, u, sillage.Result{EvaluationID: ev.ID, StudentID: who, CompetenceID: c.ID, Value: fmt.Sprint(1 + (k+i)%4)}); err != nil {
						return err
					}
				}
			}
			if i == 0 {
				if err := tx.Records().SetComment(ctx, u, sillage.Comment{EvaluationID: ev.ID, StudentID: s.ID, Text: "Travail soigné de " + s.FirstName}); err != nil {
					return err
				}
				if err := tx.Records().SetComment(ctx, u, sillage.Comment{EvaluationID: ev.ID, StudentID: classmate.ID, Text: "Bien"}); err != nil {
					return err
				}
			}
		}
		trashed := sillage.Evaluation{Title: "Brouillon", Date: sillage.NewDate(2025, 9, 1), ReferentialID: ref.ID, AuthorID: w.teacher[u].ID}
		if err := tx.Records().CreateEvaluation(ctx, u, &trashed); err != nil {
			return err
		}
		if err := tx.Records().SetResult(ctx, u, sillage.Result{EvaluationID: trashed.ID, StudentID: s.ID, CompetenceID: ref.Competences[0].ID, Value: "2"}); err != nil {
			return err
		}
		if err := tx.Records().TrashEvaluation(ctx, u, trashed.ID, w.teacher[u].ID); err != nil {
			return err
		}
		for i, kind := range []sillage.SheetKind{sillage.SheetBacPro, sillage.SheetBEP} {
			sh := sillage.Sheet{StudentID: s.ID, Kind: kind, Title: fmt.Sprintf("Situation %d de %s", i+1, s.FirstName), Context: sillage.ContextClass,
				Class: "Atelier", AuthorID: w.teacher[u].ID, Result: "3", Comment: "Situation maîtrisée"}
			if err := tx.Records().CreateSheet(ctx, u, &sh); err != nil {
				return err
			}
			for f := 0; f < 2; f++ {
				sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d", s.FirstName, i, f)))
				a := sillage.Attachment{SheetID: sh.ID, Name: fmt.Sprintf("compte-rendu-%d.pdf", f+1), SHA256: hex.EncodeToString(sum[:]),
					Size: int64(100 + f), ContentType: "application/pdf", UploadedBy: s.ID}
				if err := tx.Records().AddAttachment(ctx, u, &a); err != nil {
					return err
				}
			}
		}
		doc := sillage.Document{StudentID: s.ID, Kind: sillage.DocumentFile, Name: "bulletin.pdf", SHA256: strings.Repeat("d", 64), Size: 10,
			ContentType: "application/pdf", SchoolYear: 2025}
		if err := tx.Records().AddDocument(ctx, u, &doc); err != nil {
			return err
		}
		parent := sillage.Person{Role: sillage.RoleParent, LastName: s.LastName, FirstName: "Parent", Source: sillage.SourceSIECLE}
		if err := tx.People().CreatePerson(ctx, u, &parent); err != nil {
			return err
		}
		return tx.People().LinkGuardian(ctx, u, sillage.Guardianship{ParentID: parent.ID, StudentID: s.ID, Legal: true})
	})
}

// deactivate does what an import does when a student leaves: deactivated,
// and in the index when they have an unqid.
func (w *world) deactivate(u sillage.UAI, s sillage.Student) {
	w.t.Helper()
	ctx := context.Background()
	w.write(func(tx *store.Tx) error {
		if err := tx.People().SetPersonActive(ctx, u, s.ID, false); err != nil {
			return err
		}
		if s.Unqid == "" {
			return nil
		}
		return tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: u, OriginStudentID: s.ID, Diploma: s.Diploma, DeactivatedAt: tx.Now()})
	})
}

// reactivate does what an import does when a student comes back.
func (w *world) reactivate(u sillage.UAI, s sillage.Student) {
	w.t.Helper()
	ctx := context.Background()
	w.write(func(tx *store.Tx) error {
		if err := tx.People().SetPersonActive(ctx, u, s.ID, true); err != nil {
			return err
		}
		_, err := tx.CrossTenant().RemoveIndexEntry(ctx, u, s.ID)
		return err
	})
}

func (w *world) setTransfer(u sillage.UAI, on bool) {
	w.t.Helper()
	w.write(func(tx *store.Tx) error {
		return tx.Establishments().SetTransferSettings(context.Background(), u, sillage.TransferSettings{Enabled: on, Reference: "CNIL-" + string(u)})
	})
}

func (w *world) run(o transfer.Options) *transfer.Report {
	w.t.Helper()
	// Without injected failures, a batch must never fall back to moving
	// its students one by one: that fallback hides a broken batch path.
	var logs bytes.Buffer
	if o.Logger == nil && o.Failpoint == nil {
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}
	rep, err := transfer.Run(context.Background(), w.st, o)
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	if strings.Contains(logs.String(), "transfer batch failed") {
		w.t.Fatalf("a batch failed and fell back to one transfer per transaction:\n%s", logs.String())
	}
	return rep
}

func (w *world) studentRow(u sillage.UAI, id int64) (sillage.Student, bool) {
	w.t.Helper()
	var s sillage.Student
	err := w.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		s, err = tx.People().GetStudent(context.Background(), u, id)
		return err
	})
	if sillage.KindOf(err) == sillage.KindNotFound {
		return s, false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return s, true
}

func (w *world) logOf(dest sillage.UAI, destID int64, origin sillage.UAI, originID int64) (sillage.TransferLogEntry, bool) {
	w.t.Helper()
	var e sillage.TransferLogEntry
	err := w.st.Read(context.Background(), func(tx *store.Tx) (err error) {
		e, err = tx.CrossTenant().FindTransferLog(context.Background(), dest, destID, origin, originID)
		return err
	})
	if sillage.KindOf(err) == sillage.KindNotFound {
		return e, false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return e, true
}

// state is a content-only description of the whole instance: every row
// that matters, named by content and by the fixture's ids (which do not
// change between two databases built the same way), never by ids the
// engine allocates. Two runs that reached the same result have the same
// state.
func (w *world) state() string {
	w.t.Helper()
	db := w.st.SQLDB()
	var lines []string
	q := func(query string) {
		rows, err := db.Query(query)
		if err != nil {
			w.t.Fatalf("%s: %v", query, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				w.t.Fatal(err)
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = v.String
			}
			lines = append(lines, strings.Join(parts, "|"))
		}
	}
	q(`SELECT 'person', uai, id, role, last_name, first_name, transfer_status, CASE WHEN deactivated_at IS NULL THEN 'active' ELSE 'inactive' END,
		CASE WHEN transferred_at IS NULL THEN '' ELSE 'transferred_at' END FROM persons WHERE role <> 'system'`)
	q(`SELECT 'system', uai, last_name FROM persons WHERE role = 'system'`)
	q(`SELECT 'referential', uai, diploma, label FROM referentials`)
	q(`SELECT 'competence', c.uai, r.diploma, c.code, c.label, c.domain FROM competences c JOIN referentials r ON r.uai = c.uai AND r.id = c.referential_id`)
	q(`SELECT 'evaluation', e.uai, e.title, e.date, e.level, e.diploma, e.origin_uai, CASE WHEN e.deleted_at IS NULL THEN '' ELSE 'trash' END,
		COALESCE(p.role, ''), COALESCE(p.last_name, ''), r.diploma
		FROM evaluations e JOIN referentials r ON r.uai = e.uai AND r.id = e.referential_id LEFT JOIN persons p ON p.uai = e.uai AND p.id = e.author_id`)
	q(`SELECT 'result', x.uai, e.title, x.student_id, c.code, x.value FROM results x
		JOIN evaluations e ON e.uai = x.uai AND e.id = x.evaluation_id JOIN competences c ON c.uai = x.uai AND c.id = x.competence_id`)
	q(`SELECT 'comment', x.uai, e.title, x.student_id, x.text FROM comments x JOIN evaluations e ON e.uai = x.uai AND e.id = x.evaluation_id`)
	q(`SELECT 'sheet', uai, id, student_id, kind, title, author_id, author_name, result, comment, origin_uai FROM sheets`)
	q(`SELECT 'file', uai, id, sheet_id, name, sha256, size, uploaded_by FROM attachments`)
	q(`SELECT 'document', uai, student_id, name FROM documents`)
	q(`SELECT 'guardian', uai, parent_id, student_id FROM guardianships`)
	q(`SELECT 'index', unqid, origin_uai, origin_student_id, diploma FROM transfer_index`)
	q(`SELECT 'log', origin_uai, dest_uai, origin_student_id, dest_student_id, done, final, reason, dest_name, origin_initials, counts, manifest FROM transfer_log`)
	q(`SELECT 'message', uai, recipient_id, sender, subject, body FROM messages`)
	q(`SELECT 'account', login, closed_reason, CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END FROM accounts`)
	q(`SELECT 'audit', uai, action, target, details FROM audit_log`)
	for i, l := range lines {
		// Booleans print as 1/0 on SQLite and true/false on PostgreSQL.
		l = strings.ReplaceAll(l, "|true|", "|1|")
		lines[i] = strings.ReplaceAll(l, "|false|", "|0|")
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
