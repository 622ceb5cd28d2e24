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

		// Step 4: read, then copy everything with a few statements.
		movingRefs := make([]sillage.StudentRef, len(moving))
		for k, i := range moving {
			movingRefs[k] = origins[i]
		}
		recs, err := tx.CrossTenant().GetTransferRecords(ctx, movingRefs)
		if err != nil {
			return err
		}
		counts := make([]Counts, len(moving))
		manifests := make([]string, len(moving))
		var want Counts
		nEvals := 0
		for k, i := range moving {
			rec := recs[origins[i]]
			counts[k], manifests[k] = CountsOf(rec), Manifest(rec)
			want = want.add(counts[k])
			nEvals += len(rec.Evaluations)
		}
		if err := e.fp(StepRead); err != nil {
			return err
		}
		destUAIs := map[sillage.UAI]bool{}
		for _, i := range moving {
			destUAIs[items[i].c.UAI] = true
		}
		var uais []sillage.UAI
		for u := range destUAIs {
			uais = append(uais, u)
		}
		sort.Slice(uais, func(a, b int) bool { return uais[a] < uais[b] })
		have, err := tx.CrossTenant().ListTransferReferentials(ctx, uais)
		if err != nil {
			return err
		}
		created := false
		for _, i := range moving {
			rec := recs[origins[i]]
			if covered(have[items[i].c.UAI], rec) {
				continue
			}
			refIDs, compIDs := referencesOf(rec)
			if _, _, err := tx.CrossTenant().UpsertTransferReferentials(ctx, items[i].c.UAI, origins[i].UAI, refIDs, compIDs); err != nil {
				return err
			}
			created = true
		}
		if created {
			if have, err = tx.CrossTenant().ListTransferReferentials(ctx, uais); err != nil {
				return err
			}
		}
		if err := e.fp(StepReferentials); err != nil {
			return err
		}
		authors := map[sillage.UAI]int64{}
		for _, i := range moving {
			u := items[i].c.UAI
			if _, ok := authors[u]; ok || len(recs[origins[i]].Evaluations) == 0 {
				continue
			}
			if authors[u], err = tx.CrossTenant().UpsertSystemAuthor(ctx, u); err != nil {
				return err
			}
		}
		if err := e.fp(StepAuthor); err != nil {
			return err
		}
		pairs := make([]store.TransferPair, len(moving))
		var copies []store.EvalCopy
		ids, err := tx.NewIDs(ctx, nEvals)
		if err != nil {
			return err
		}
		for k, i := range moving {
			it := items[i]
			pairs[k] = store.TransferPair{OriginUAI: origins[i].UAI, OriginStudentID: origins[i].StudentID, DestUAI: it.c.UAI,
				DestStudentID: it.c.StudentID, AuthorID: authors[it.c.UAI]}
			for _, ev := range recs[origins[i]].Evaluations {
				copies = append(copies, store.EvalCopy{Old: ev.ID, Student: origins[i].StudentID, New: ids[len(copies)]})
			}
		}
		steps := []struct {
			step string
			want int
			what string
			run  func() (int64, error)
		}{
			{StepEvaluations, want.Evaluations, "évaluations", func() (int64, error) { return tx.CrossTenant().InsertBatchEvaluations(ctx, pairs, copies) }},
			{StepResults, want.Results, "résultats", func() (int64, error) { return insertResults(ctx, tx, items, moving, origins, recs, have, copies) }},
			{StepComments, want.Comments, "commentaires", func() (int64, error) { return tx.CrossTenant().InsertBatchComments(ctx, pairs, copies) }},
			{StepSheets, want.Sheets, "fiches", func() (int64, error) { return tx.CrossTenant().InsertBatchSheets(ctx, pairs) }},
			{StepFiles, want.Files, "fichiers", func() (int64, error) { return tx.CrossTenant().InsertBatchAttachments(ctx, pairs) }},
		}
		for _, s := range steps {
			if err := expect(s.run())(s.want, s.what); err != nil {
				return err
			}
			if err := e.fp(s.step); err != nil {
				return err
			}
		}

		// The origins forget the students; their accounts close.
		if err := expect(tx.CrossTenant().DeleteStudentsByRef(ctx, movingRefs))(len(moving), "élèves supprimés à l'origine"); err != nil {
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

// insertResults writes the copies of the results, read already for the
// manifest, in bulk (COPY on PostgreSQL): each result goes to the copy of
// its evaluation, for the destination student, on the competence of the
// same code in the destination's referential of the diploma of the
// competence's referential (the evaluation's, nearly always). It
// returns how many it wrote (a result whose competence cannot be mapped is
// not written, and the count check stops the batch).
func insertResults(ctx context.Context, tx *store.Tx, items []pair, moving []int, origins []sillage.StudentRef, recs map[sillage.StudentRef]sillage.TransferRecord,
	have map[sillage.UAI]map[string]store.TransferReferential, copies []store.EvalCopy) (int64, error) {
	newID := make(map[[2]int64]int64, len(copies))
	for _, c := range copies {
		newID[[2]int64{c.Old, c.Student}] = c.New
	}
	byDest := map[sillage.UAI][]sillage.Result{}
	var dests []sillage.UAI
	for _, i := range moving {
		it := items[i]
		refs := have[it.c.UAI]
		for _, ev := range recs[origins[i]].Evaluations {
			for _, r := range ev.Results {
				cid, ok := refs[r.ReferentialDiploma].Codes[r.Code]
				if !ok {
					continue
				}
				if _, seen := byDest[it.c.UAI]; !seen {
					dests = append(dests, it.c.UAI)
				}
				byDest[it.c.UAI] = append(byDest[it.c.UAI], sillage.Result{EvaluationID: newID[[2]int64{ev.ID, origins[i].StudentID}],
					StudentID: it.c.StudentID, CompetenceID: cid, Value: r.Value})
			}
		}
	}
	var n int64
	for _, u := range dests {
		if err := tx.Records().InsertResults(ctx, u, byDest[u]); err != nil {
			return n, err
		}
		n += int64(len(byDest[u]))
	}
	return n, nil
}

func (c Counts) add(d Counts) Counts {
	return Counts{c.Evaluations + d.Evaluations, c.Results + d.Results, c.Comments + d.Comments, c.Sheets + d.Sheets, c.Files + d.Files}
}

// covered reports whether the destination's referentials hold everything
// the record needs: a referential per diploma, every competence code.
func covered(have map[string]store.TransferReferential, rec sillage.TransferRecord) bool {
	for _, ev := range rec.Evaluations {
		if _, ok := have[ev.ReferentialDiploma]; !ok {
			return false
		}
		for _, r := range ev.Results {
			if _, ok := have[r.ReferentialDiploma].Codes[r.Code]; !ok {
				return false
			}
		}
	}
	return true
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

// referencesOf lists the origin referentials and competences the record uses.
func referencesOf(rec sillage.TransferRecord) (refs, comps []int64) {
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
