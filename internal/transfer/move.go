package transfer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
)

// outcome is what one pair came to.
type outcome struct {
	move       *Move
	impossible *Impossible
	stale      bool // the entry pointed at a student deleted or active again: removed
	skipped    bool // claimed by another run, or the destination is no longer waiting
}

// moveWithRetry runs move, again when the database reports a conflict
// (two runs creating the same referential, a deadlock, a busy SQLite):
// every attempt starts from scratch in a new transaction.
func (e *engine) moveWithRetry(ctx context.Context, c store.TransferCandidate, entry store.IndexEntry) (outcome, error) {
	var out outcome
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		out, err = e.move(ctx, c, entry)
		k := sillage.KindOf(err)
		if err == nil || (k != sillage.KindConflict && k != sillage.KindUnavailable) || ctx.Err() != nil {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
	return out, err
}

// move is transfer.md 5 steps 3 and 4 for one pair, in one transaction.
func (e *engine) move(ctx context.Context, c store.TransferCandidate, want store.IndexEntry) (outcome, error) {
	var out outcome
	err := e.st.Write(ctx, func(tx *store.Tx) error {
		out = outcome{}
		if err := e.fp(StepBegin); err != nil {
			return err
		}
		entry, err := tx.DeleteIndexEntry(ctx, want.OriginUAI, want.OriginStudentID)
		if sillage.KindOf(err) == sillage.KindNotFound {
			out.skipped = true // another run took it
			return nil
		}
		if err != nil {
			return err
		}
		if err := e.fp(StepClaim); err != nil {
			return err
		}
		destRef := store.StudentRef{UAI: c.UAI, StudentID: c.StudentID}
		originRef := store.StudentRef{UAI: entry.OriginUAI, StudentID: entry.OriginStudentID}
		versions, err := tx.ListUnqidsByRef(ctx, []store.StudentRef{destRef, originRef})
		if err != nil {
			return err
		}
		dest, err := tx.GetStudent(ctx, c.UAI, c.StudentID)
		if sillage.KindOf(err) == sillage.KindNotFound || err == nil && (!dest.Active() || !matches(entry, versions[destRef], versions[originRef]) ||
			dest.TransferStatus != sillage.TransferNew && dest.TransferStatus != sillage.TransferTransferred) {
			out.skipped = true
			return tx.PutIndexEntry(ctx, entry)
		}
		if err != nil {
			return err
		}
		origin, err := tx.GetStudent(ctx, entry.OriginUAI, entry.OriginStudentID)
		if sillage.KindOf(err) == sillage.KindNotFound || err == nil && origin.Active() {
			out.stale = true // deleted, or reactivated without its entry removed
			return nil
		}
		if err != nil {
			return err
		}
		originEst, err := tx.GetEstablishment(ctx, entry.OriginUAI)
		if err != nil {
			return err
		}
		destEst, err := tx.GetEstablishment(ctx, c.UAI)
		if err != nil {
			return err
		}
		if reason := e.decide(originEst, destEst, entry, dest.Diploma); reason != "" {
			if err := tx.PutIndexEntry(ctx, entry); err != nil {
				return err
			}
			if reason == ReasonDiplomaChanged {
				if err := tx.SetTransferStatus(ctx, c.UAI, c.StudentID, sillage.TransferDiplomaChanged); err != nil {
					return err
				}
			}
			out.impossible = &Impossible{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID, DestUAI: c.UAI,
				DestStudentID: c.StudentID, Reason: reason, Label: reason.Label(), Final: reason.Final()}
			return tx.RecordTransferLog(ctx, store.TransferLogEntry{OriginUAI: entry.OriginUAI, DestUAI: c.UAI,
				OriginStudentID: entry.OriginStudentID, DestStudentID: c.StudentID, Done: false, Final: reason.Final(),
				Reason: string(reason), DestName: dest.FullName(), OriginInitials: origin.Initials()})
		}
		if err := e.fp(StepCheck); err != nil {
			return err
		}

		rec, err := tx.GetTransferRecord(ctx, entry.OriginUAI, entry.OriginStudentID)
		if err != nil {
			return err
		}
		counts, manifest := CountsOf(rec), Manifest(rec)
		if err := e.fp(StepRead); err != nil {
			return err
		}
		refIDs, compIDs := referencesOf(rec)
		if _, _, err := tx.UpsertTransferReferentials(ctx, c.UAI, entry.OriginUAI, refIDs, compIDs); err != nil {
			return err
		}
		if err := e.fp(StepReferentials); err != nil {
			return err
		}
		var pairs []store.IDPair
		if len(rec.Evaluations) > 0 {
			author, err := tx.UpsertSystemAuthor(ctx, c.UAI)
			if err != nil {
				return err
			}
			if err := e.fp(StepAuthor); err != nil {
				return err
			}
			ids, err := tx.NewIDs(ctx, len(rec.Evaluations))
			if err != nil {
				return err
			}
			for i, ev := range rec.Evaluations {
				pairs = append(pairs, store.IDPair{Old: ev.ID, New: ids[i]})
			}
			if err := expect(tx.InsertTransferEvaluations(ctx, c.UAI, entry.OriginUAI, author, pairs))(counts.Evaluations, "évaluations"); err != nil {
				return err
			}
		} else if err := e.fp(StepAuthor); err != nil {
			return err
		}
		if err := e.fp(StepEvaluations); err != nil {
			return err
		}
		if err := expect(tx.InsertTransferResults(ctx, c.UAI, entry.OriginUAI, entry.OriginStudentID, c.StudentID, pairs))(counts.Results, "résultats"); err != nil {
			return err
		}
		if err := e.fp(StepResults); err != nil {
			return err
		}
		if err := expect(tx.InsertTransferComments(ctx, c.UAI, entry.OriginUAI, entry.OriginStudentID, c.StudentID, pairs))(counts.Comments, "commentaires"); err != nil {
			return err
		}
		if err := e.fp(StepComments); err != nil {
			return err
		}
		if err := expect(tx.InsertTransferSheets(ctx, c.UAI, entry.OriginUAI, entry.OriginStudentID, c.StudentID))(counts.Sheets, "fiches"); err != nil {
			return err
		}
		if err := e.fp(StepSheets); err != nil {
			return err
		}
		if err := expect(tx.InsertTransferAttachments(ctx, c.UAI, entry.OriginUAI, entry.OriginStudentID, c.StudentID))(counts.Files, "fichiers"); err != nil {
			return err
		}
		if err := e.fp(StepFiles); err != nil {
			return err
		}

		// The origin forgets the student: results and comments, sheets and
		// files, documents, links, by cascade; the evaluations stay.
		if err := tx.DeletePerson(ctx, entry.OriginUAI, entry.OriginStudentID); err != nil {
			return err
		}
		if err := e.fp(StepOrigin); err != nil {
			return err
		}
		if origin.AccountID != 0 {
			n, err := tx.CountAccountPersons(ctx, origin.AccountID)
			if err != nil {
				return err
			}
			if n == 0 {
				if err := tx.CloseAccount(ctx, origin.AccountID, sillage.ClosedTransferred); err != nil {
					return err
				}
			}
		}
		if err := e.fp(StepAccount); err != nil {
			return err
		}
		if err := tx.SetTransferStatus(ctx, c.UAI, c.StudentID, sillage.TransferTransferred); err != nil {
			return err
		}
		if err := e.fp(StepStatus); err != nil {
			return err
		}
		if err := e.changed(ctx, tx); err != nil {
			return err
		}
		if err := tx.RecordTransferLog(ctx, store.TransferLogEntry{OriginUAI: entry.OriginUAI, DestUAI: c.UAI,
			OriginStudentID: entry.OriginStudentID, DestStudentID: c.StudentID, Done: true, Final: true,
			DestName: dest.FullName(), OriginInitials: origin.Initials(), Counts: counts.JSON(), Manifest: manifest}); err != nil {
			return err
		}
		if err := e.fp(StepLog); err != nil {
			return err
		}
		if err := e.auditMove(ctx, tx, originEst, destEst, origin, dest, counts, manifest); err != nil {
			return err
		}
		if err := e.fp(StepAudit); err != nil {
			return err
		}
		out.move = &Move{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID, DestUAI: c.UAI, DestStudentID: c.StudentID,
			Counts: counts, Manifest: manifest}
		return nil
	})
	if err != nil {
		return outcome{}, err
	}
	if out.move != nil {
		if err := e.fp(StepCommitted); err != nil {
			return out, err
		}
	}
	return out, nil
}

// matches reports whether an index entry designates the student whose
// unqid versions are dest (transfer.md 2: matched under every key version):
// the entry's unqid is one of them, or the origin student, whose versions
// are origin, shares one. It is the match ListTransferCandidates makes,
// checked again on fresh rows inside the transfer's transaction.
func matches(entry store.IndexEntry, dest, origin []string) bool {
	for _, u := range dest {
		if u == entry.Unqid || slices.Contains(origin, u) {
			return true
		}
	}
	return false
}

// expect checks a copy wrote as many rows as the record holds: a row the
// mapping lost would be a loss, so the transfer stops there instead.
func expect(n int64, err error) func(want int, what string) error {
	return func(want int, what string) error {
		if err != nil {
			return err
		}
		if n != int64(want) {
			return fmt.Errorf("transfert incomplet : %d %s copiés sur %d", n, what, want)
		}
		return nil
	}
}

// referencesOf lists the origin referentials and competences the record uses.
func referencesOf(rec store.TransferRecord) (refs, comps []int64) {
	seen := map[int64]bool{}
	for _, ev := range rec.Evaluations {
		if !seen[ev.ReferentialID] {
			seen[ev.ReferentialID] = true
			refs = append(refs, ev.ReferentialID)
		}
		for _, r := range ev.Results {
			comps = append(comps, r.CompetenceID)
			if !seen[r.ReferentialID] {
				seen[r.ReferentialID] = true
				refs = append(refs, r.ReferentialID)
			}
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i] < refs[j] })
	return refs, comps
}

// auditMove writes the entries of both establishments, in UAI order: two
// transfers in opposite directions at once lock the chains' heads in the
// same order and cannot deadlock.
func (e *engine) auditMove(ctx context.Context, tx *store.Tx, originEst, destEst sillage.Establishment, origin, dest sillage.Student, c Counts, manifest string) error {
	entries := auditOf(originEst, destEst, origin, dest, c, manifest)
	sort.Slice(entries, func(i, j int) bool { return entries[i].UAI < entries[j].UAI })
	for _, en := range entries {
		if err := tx.AppendAudit(ctx, en.UAI, en); err != nil {
			return fmt.Errorf("audit %s: %w", en.Action, err)
		}
	}
	return nil
}
