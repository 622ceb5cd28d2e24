package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sillage/sillage"
)

// ArrivalRecipient is someone told that a student's record arrived: the
// student, or one of their legal guardians (Guardian).
type ArrivalRecipient struct {
	UAI                 sillage.UAI
	PersonID            int64
	StudentID           int64
	FirstName, LastName string // the student's
	Guardian            bool
}

// RecordArrivalRecipients returns, for students of several establishments,
// the students and their active legal guardians, by establishment and student.
func (tx CrossTenant) RecordArrivalRecipients(ctx context.Context, refs []sillage.StudentRef) ([]ArrivalRecipient, error) {
	var out []ArrivalRecipient
	for _, c := range chunks(len(refs), 2, 0) {
		cte, args := refsCTE("r", refs[c[0]:c[1]], nil)
		rows, err := collect(ctx, tx.txn, `WITH `+cte+`
			SELECT s.uai, s.id, s.id, s.first_name, s.last_name, 0 FROM r JOIN persons s ON s.uai = r.uai AND s.id = r.sid
			UNION ALL
			SELECT s.uai, g.parent_id, s.id, s.first_name, s.last_name, 1 FROM r JOIN persons s ON s.uai = r.uai AND s.id = r.sid
				JOIN guardianships g ON g.uai = s.uai AND g.student_id = s.id AND g.legal
				JOIN persons gp ON gp.uai = g.uai AND gp.id = g.parent_id AND gp.deactivated_at IS NULL
			ORDER BY 1, 3, 6, 2`, args, func(r *sql.Rows) (ArrivalRecipient, error) {
			var a ArrivalRecipient
			var u string
			var guardian int
			err := r.Scan(&u, &a.PersonID, &a.StudentID, &a.FirstName, &a.LastName, &guardian)
			a.UAI, a.Guardian = sillage.UAI(u), guardian == 1
			return a, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// SendMessages delivers messages to the boxes of persons of several
// establishments in bulk, and sets their IDs.
func (tx CrossTenant) SendMessages(ctx context.Context, msgs []sillage.InboxMessage) error {
	if len(msgs) == 0 {
		return nil
	}
	ids, err := tx.NewIDs(ctx, len(msgs))
	if err != nil {
		return err
	}
	for i := range msgs {
		msgs[i].ID = ids[i]
		if msgs[i].CreatedAt.IsZero() {
			msgs[i].CreatedAt = tx.now
		}
	}
	for _, c := range chunks(len(msgs), 7, 0) {
		var b strings.Builder
		var args []any
		b.WriteString(`INSERT INTO messages (uai, id, recipient_id, sender, subject, body, created_at) VALUES `)
		for i, m := range msgs[c[0]:c[1]] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, string(m.UAI), m.ID, m.RecipientID, m.Sender, m.Subject, m.Body, m.CreatedAt)
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n-6, n-5, n-4, n-3, n-2, n-1, n)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("messages: %w", err)
		}
	}
	return nil
}
