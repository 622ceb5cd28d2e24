package transfer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// pair is a destination student and the index entry of their origin.
type pair struct {
	c     sillage.TransferCandidate
	entry sillage.TransferIndexEntry
}

// outcome is what one pair came to.
type outcome struct {
	move       *Move
	impossible *Impossible
	stale      bool // the entry pointed at a student deleted or active again: removed
	skipped    bool // claimed by another run, or the destination is no longer waiting
}

// itemResult is what became of one pair of a batch.
type itemResult struct {
	outcome
	err error
}

// moveAttempts is how many times a batch is tried while the database
// reports a conflict.
const moveAttempts = 5

// moveBatchOrEach moves a batch in one transaction; when the batch fails
// otherwise than by a busy database, each pair is moved again as a batch of
// one, so that a faulty record fails alone. A failure injected by a test
// stops everything, as a crash would.
func (e *engine) moveBatchOrEach(ctx context.Context, items []pair) ([]itemResult, error) {
	outs, err := e.moveRetrying(ctx, items)
	var fe *failpointError
	if err == nil || len(items) == 1 || errors.As(err, &fe) || ctx.Err() != nil {
		return outs, err
	}
	e.log.Warn("transfer batch failed: moving its students one by one", "students", len(items), "err", err)
	for i, it := range items {
		one, err := e.moveRetrying(ctx, []pair{it})
		outs[i] = itemResult{outcome: one[0].outcome, err: err}
		if errors.As(err, &fe) {
			return outs, err
		}
	}
	return outs, nil
}

// moveRetrying runs moveBatch, again when the database reports a conflict
// (two runs creating the same referential, a deadlock, a busy SQLite):
// every attempt starts from scratch in a new transaction. On failure the
// results are empty, one per pair.
func (e *engine) moveRetrying(ctx context.Context, items []pair) ([]itemResult, error) {
	var err error
	for attempt := 0; attempt < moveAttempts; attempt++ {
		var outs []itemResult
		outs, err = e.moveBatch(ctx, items)
		if err == nil {
			return outs, nil
		}
		var fe *failpointError
		if k := sillage.KindOf(err); errors.As(err, &fe) || ctx.Err() != nil || k != sillage.KindConflict && k != sillage.KindUnavailable {
			break
		}
		select {
		case <-ctx.Done():
			return make([]itemResult, len(items)), ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return make([]itemResult, len(items)), err
}

// moveBatch is transfer.md 5 steps 3 and 4 for a batch of pairs (each
// destination student appearing once), in one transaction, with
// set-based statements. Every pair ends skipped, stale, impossible or
// transferred; a student is a batch of one.
func (e *engine) moveBatch(ctx context.Context, items []pair) ([]itemResult, error) {
	outs := make([]itemResult, len(items))
	err := e.st.Write(ctx, func(tx *store.Tx) error {
		for i := range outs {
			outs[i] = itemResult{}
		}
		if err := e.fp(StepBegin); err != nil {
			return err
		}
		origins := make([]sillage.StudentRef, len(items))
		for i, it := range items {
			origins[i] = sillage.StudentRef{UAI: it.entry.OriginUAI, StudentID: it.entry.OriginStudentID}
		}
		claimed, err := tx.CrossTenant().DeleteIndexEntries(ctx, origins)
		if err != nil {
			return err
		}
		entries := make(map[sillage.StudentRef]sillage.TransferIndexEntry, len(claimed))
		for _, en := range claimed {
			entries[sillage.StudentRef{UAI: en.OriginUAI, StudentID: en.OriginStudentID}] = en
		}
		if err := e.fp(StepClaim); err != nil {
			return err
		}
		// Records served to another instance of the federation and waiting
		// for its receipt stay (Run left them out; this sees a package
		// served since, the claim above having waited for the federation's
		// lock on the same entries).
		served, err := tx.CrossTenant().ListFederationServed(ctx, "", sillage.FederationStateServed)
		if err != nil {
			return err
		}
		servedAway := map[sillage.StudentRef]bool{}
		for _, s := range served {
			servedAway[sillage.StudentRef{UAI: s.OriginUAI, StudentID: s.OriginStudentID}] = true
		}
		refs := append([]sillage.StudentRef(nil), origins...)
		for _, it := range items {
			refs = append(refs, sillage.StudentRef{UAI: it.c.UAI, StudentID: it.c.StudentID})
		}
		list, err := tx.CrossTenant().ListStudentsByRef(ctx, refs)
		if err != nil {
			return err
		}
		students := make(map[sillage.StudentRef]sillage.Student, len(list))
		for _, s := range list {
			students[sillage.StudentRef{UAI: s.UAI, StudentID: s.ID}] = s
		}
		versions, err := tx.CrossTenant().ListUnqidsByRef(ctx, refs)
		if err != nil {
			return err
		}
		es, err := tx.Establishments().ListEstablishments(ctx)
		if err != nil {
			return err
		}
		estabs := make(map[sillage.UAI]sillage.Establishment, len(es))
		for _, x := range es {
			estabs[x.UAI] = x
		}

		// Step 3 for each pair.
		var putBack []sillage.TransferIndexEntry
		var logs []sillage.TransferLogEntry
		var moving []int // indexes into items
		for i, it := range items {
			oref := origins[i]
			entry, ok := entries[oref]
			if !ok {
				outs[i].skipped = true // another run took it
				continue
			}
			if servedAway[oref] {
				outs[i].skipped = true
				putBack = append(putBack, entry)
				continue
			}
			dref := sillage.StudentRef{UAI: it.c.UAI, StudentID: it.c.StudentID}
			dest, ok := students[dref]
			if !ok || !dest.Active() || !matches(entry, versions[dref], versions[oref]) ||
				dest.TransferStatus != sillage.TransferNew && dest.TransferStatus != sillage.TransferTransferred {
				outs[i].skipped = true
				putBack = append(putBack, entry)
				continue
			}
			origin, ok := students[oref]
			if !ok || origin.Active() {
				outs[i].stale = true
				continue
			}
			if reason := e.decide(estabs[entry.OriginUAI], estabs[it.c.UAI], entry, dest.Diploma); reason != "" {
				putBack = append(putBack, entry)
				if reason == ReasonDiplomaChanged {
					if err := tx.People().SetTransferStatus(ctx, it.c.UAI, it.c.StudentID, sillage.TransferDiplomaChanged); err != nil {
						return err
					}
				}
				outs[i].impossible = &Impossible{OriginUAI: entry.OriginUAI, OriginStudentID: entry.OriginStudentID, DestUAI: it.c.UAI,
					DestStudentID: it.c.StudentID, Reason: reason, Label: reason.Label(), Final: reason.Final()}
				logs = append(logs, sillage.TransferLogEntry{OriginUAI: entry.OriginUAI, DestUAI: it.c.UAI, OriginStudentID: entry.OriginStudentID,
					DestStudentID: it.c.StudentID, Final: reason.Final(), Reason: string(reason), DestName: dest.FullName(), OriginInitials: origin.Initials()})
				continue
			}
			moving = append(moving, i)
		}
		if err := tx.CrossTenant().PutIndexEntries(ctx, putBack); err != nil {
			return err
		}
		if err := tx.CrossTenant().RecordTransferLogs(ctx, logs); err != nil {
			return err
		}
		if len(moving) == 0 {
			return nil
		}
		if err := e.fp(StepCheck); err != nil {
			return err
		}

		// Step 4, in the database: the batch's pairs and the map of the
		// evaluations it copies go into temporary tables, the rows move
		// with INSERT … SELECT through them, the database counts them and
		// computes the manifests.
		pairs := make([]store.TransferPair, len(moving))
		movingRefs := make([]sillage.StudentRef, len(moving))
		for k, i := range moving {
			movingRefs[k] = origins[i]
			pairs[k] = store.TransferPair{OriginUAI: origins[i].UAI, OriginStudentID: origins[i].StudentID, DestUAI: items[i].c.UAI,
				DestStudentID: items[i].c.StudentID}
		}
		if _, err := tx.CrossTenant().StageTransfer(ctx, pairs); err != nil {
			return err
		}
		if err := e.fp(StepStage); err != nil {
			return err
		}
		sums, err := tx.CrossTenant().SummarizeTransfer(ctx)
		if err != nil {
			return err
		}
		counts := make([]Counts, len(moving))
		manifests := make([]string, len(moving))
		var want Counts
		withEvals := map[sillage.UAI]bool{}
		for k, i := range moving {
			s := sums[origins[i].StudentID]
			counts[k], manifests[k] = Counts{s.Evaluations, s.Results, s.Comments, s.Sheets, s.Files}, s.Manifest
			want = want.add(counts[k])
			if s.Evaluations > 0 {
				withEvals[items[i].c.UAI] = true
			}
		}
		if err := e.fp(StepRead); err != nil {
			return err
		}
		missing, err := tx.CrossTenant().MissingTransferReferences(ctx)
		if err != nil {
			return err
		}
		var gaps [][2]string
		for k := range missing {
			gaps = append(gaps, k)
		}
		sort.Slice(gaps, func(a, b int) bool {
			return gaps[a][0] < gaps[b][0] || gaps[a][0] == gaps[b][0] && gaps[a][1] < gaps[b][1]
		})
		for _, k := range gaps {
			if _, _, err := tx.CrossTenant().UpsertTransferReferentials(ctx, sillage.UAI(k[0]), sillage.UAI(k[1]), missing[k][0], missing[k][1]); err != nil {
				return err
			}
		}
		if err := e.fp(StepReferentials); err != nil {
			return err
		}
		var authorUAIs []sillage.UAI
		for u := range withEvals {
			authorUAIs = append(authorUAIs, u)
		}
		sort.Slice(authorUAIs, func(a, b int) bool { return authorUAIs[a] < authorUAIs[b] })
		for _, u := range authorUAIs {
			id, err := tx.CrossTenant().UpsertSystemAuthor(ctx, u)
			if err != nil {
				return err
			}
			if err := tx.CrossTenant().SetStagedAuthor(ctx, u, id); err != nil {
				return err
			}
		}
		if err := e.fp(StepAuthor); err != nil {
			return err
		}
		steps := []struct {
			step string
			want int
			what string
			run  func(context.Context) (int64, error)
		}{
			{StepEvaluations, want.Evaluations, "évaluations", tx.CrossTenant().MoveStagedEvaluations},
			{StepResults, want.Results, "résultats", tx.CrossTenant().MoveStagedResults},
			{StepComments, want.Comments, "commentaires", tx.CrossTenant().MoveStagedComments},
			{StepSheets, want.Sheets, "fiches", tx.CrossTenant().MoveStagedSheets},
			{StepFiles, want.Files, "fichiers", tx.CrossTenant().MoveStagedAttachments},
		}
		for _, s := range steps {
			if err := expect(s.run(ctx))(s.want, s.what); err != nil {
				return err
			}
			if err := e.fp(s.step); err != nil {
				return err
			}
		}
		moved, held, err := tx.CrossTenant().MoveStagedSheetResults(ctx)
		if err := expect(moved, err)(int(held), "résultats des fiches par compétence"); err != nil {
			return err
		}

		// The origins forget the students; their accounts close.
		if err := expect(tx.CrossTenant().DeleteStagedOrigins(ctx))(len(moving), "élèves supprimés à l'origine"); err != nil {
			return err
		}
		if err := e.fp(StepOrigin); err != nil {
			return err
		}
		var accounts []int64
		closedTo := map[int64]sillage.UAI{}
		for _, i := range moving {
			if a := students[origins[i]].AccountID; a != 0 {
				accounts = append(accounts, a)
				closedTo[a] = items[i].c.UAI
			}
		}
		if _, err := tx.CrossTenant().CloseOrphanAccounts(ctx, accounts, sillage.ClosedTransferred); err != nil {
			return err
		}
		if err := tx.CrossTenant().NoteAccountsTransferredTo(ctx, closedTo); err != nil {
			return err
		}
		if err := e.fp(StepAccount); err != nil {
			return err
		}
		destRefs := make([]sillage.StudentRef, len(moving))
		for k, i := range moving {
			destRefs[k] = sillage.StudentRef{UAI: items[i].c.UAI, StudentID: items[i].c.StudentID}
		}
		if err := expect(tx.CrossTenant().SetStudentsTransferred(ctx, destRefs))(len(moving), "statuts"); err != nil {
			return err
		}
		if err := e.fp(StepStatus); err != nil {
			return err
		}
		arrivals := make([]arrival, len(moving))
		for k, i := range moving {
			arrivals[k] = arrival{Dest: destRefs[k], From: estabs[origins[i].UAI].Name}
		}
		if err := notifyArrivals(ctx, tx, arrivals); err != nil {
			return err
		}
		if err := e.fp(StepNotified); err != nil {
			return err
		}
		if err := e.changed(ctx, tx); err != nil {
			return err
		}
		logs = logs[:0]
		chains := map[sillage.UAI][]*sillage.AuditEntry{}
		for k, i := range moving {
			it := items[i]
			origin, dest := students[origins[i]], students[destRefs[k]]
			logs = append(logs, sillage.TransferLogEntry{OriginUAI: origins[i].UAI, DestUAI: it.c.UAI, OriginStudentID: origins[i].StudentID,
				DestStudentID: it.c.StudentID, Done: true, Final: true, DestName: dest.FullName(), OriginInitials: origin.Initials(),
				Counts: counts[k].JSON(), Manifest: manifests[k]})
			for _, a := range auditOf(estabs[origins[i].UAI], estabs[it.c.UAI], origin, dest, counts[k], manifests[k]) {
				chains[a.UAI] = append(chains[a.UAI], a)
			}
			outs[i].move = &Move{OriginUAI: origins[i].UAI, OriginStudentID: origins[i].StudentID, DestUAI: it.c.UAI, DestStudentID: it.c.StudentID,
				Counts: counts[k], Manifest: manifests[k]}
		}
		if err := tx.CrossTenant().RecordTransferLogs(ctx, logs); err != nil {
			return err
		}
		if err := e.fp(StepLog); err != nil {
			return err
		}
		// Chains in UAI order: two batches in opposite directions lock the
		// heads in the same order.
		var chainUAIs []sillage.UAI
		for u := range chains {
			chainUAIs = append(chainUAIs, u)
		}
		sort.Slice(chainUAIs, func(a, b int) bool { return chainUAIs[a] < chainUAIs[b] })
		for _, u := range chainUAIs {
			if err := tx.Audit().AppendAuditEntries(ctx, u, chains[u]); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return e.fp(StepAudit)
	})
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		if o.move != nil {
			if err := e.fp(StepCommitted); err != nil {
				return outs, err
			}
			break
		}
	}
	return outs, nil
}

func (c Counts) add(d Counts) Counts {
	return Counts{c.Evaluations + d.Evaluations, c.Results + d.Results, c.Comments + d.Comments, c.Sheets + d.Sheets, c.Files + d.Files}
}

// matches reports whether an index entry designates the student whose
// unqid versions are dest (transfer.md 2: matched under every key version):
// the entry's unqid is one of them, or the origin student, whose versions
// are origin, shares one. It is the match ListTransferCandidates makes,
// checked again on fresh rows inside the transfer's transaction.
func matches(entry sillage.TransferIndexEntry, dest, origin []string) bool {
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

// auditOf returns the entries of both establishments for one transfer.
func auditOf(originEst, destEst sillage.Establishment, origin, dest sillage.Student, c Counts, manifest string) []*sillage.AuditEntry {
	what := fmt.Sprintf("%d évaluation(s), %d résultat(s), %d commentaire(s), %d fiche(s), %d fichier(s) ; empreinte %s",
		c.Evaluations, c.Results, c.Comments, c.Sheets, c.Files, manifest)
	who := audit.System
	return []*sillage.AuditEntry{
		{UAI: originEst.UAI, ActorID: who.ID, ActorRole: who.Role, ActorName: who.Name, Action: audit.TransferSent,
			Target:  "élève " + origin.Initials() + fmt.Sprintf(" (n° %d)", origin.ID),
			Details: fmt.Sprintf("dossier transféré vers %s (%s) : %s", destEst.UAI, destEst.Name, what)},
		{UAI: destEst.UAI, ActorID: who.ID, ActorRole: who.Role, ActorName: who.Name, Action: audit.TransferReceived,
			Target:  "élève " + dest.FullName() + fmt.Sprintf(" (n° %d)", dest.ID),
			Details: fmt.Sprintf("dossier reçu de %s (%s) : %s", originEst.UAI, originEst.Name, what)},
	}
}
