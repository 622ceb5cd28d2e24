package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// A real SQLite instance has only the statistics the product gathers
// itself, so the transfer's reads must find their rows by index on a
// database built by the migrations and by imports, with no ANALYZE run by
// hand: a full scan of persons or results there costs seconds per run at
// the scale of a region (SQLite only: PostgreSQL's autovacuum keeps its
// statistics).
func TestTransferReadsUseIndexesWithoutAnalyze(t *testing.T) {
	if testing.Short() {
		t.Skip("builds several thousand students")
	}
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	const movers = 30
	refs, uai := buildTransferInstance(t, st, 2_000_000, 6, 600, movers, 10)
	var plans map[string][]string
	err := st.Read(ctx, func(tx *store.Tx) (err error) {
		plans, err = tx.CrossTenant().TransferReadPlans(ctx, refs[:movers])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for read, lines := range plans {
		plan := strings.Join(lines, "\n")
		t.Logf("%s:\n%s", read, plan)
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN ") && !allowedScan(l) {
				t.Errorf("%s read scans a whole table without statistics (%q):\n%s", read, l, plan)
			}
		}
	}

	// The statements of the move, on a batch staged in a transaction that
	// rolls back: each is driven by the batch's temporary tables (the only
	// tables they may scan) and reaches every other table by index.
	pairs := make([]store.TransferPair, 0, movers)
	for _, r := range refs[:movers] {
		pairs = append(pairs, store.TransferPair{OriginUAI: r.UAI, OriginStudentID: r.StudentID, DestUAI: uai(1), DestStudentID: 1})
	}
	errRollback := errors.New("rollback")
	err = st.Write(ctx, func(tx *store.Tx) error {
		plans, err = tx.CrossTenant().TransferMovePlans(ctx, pairs)
		if err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	if len(plans) != 17 {
		t.Fatalf("%d statements explained, want 17", len(plans))
	}
	for stmt, lines := range plans {
		plan := strings.Join(lines, "\n")
		t.Logf("%s:\n%s", stmt, plan)
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN ") && !movePlanScan(l) {
				t.Errorf("the move's %s statement scans a whole table without statistics (%q):\n%s", stmt, l, plan)
			}
			// A search on the UAI alone reads a whole establishment (the
			// foreign-key cascades of a student's deletion on small
			// tables keyed otherwise are left as they are).
			if strings.HasSuffix(l, "(uai=?)") && stmt != "origin students" {
				t.Errorf("the move's %s statement reads a whole establishment without statistics (%q):\n%s", stmt, l, plan)
			}
		}
		// The staged results find their competences' codes once per
		// competence used (in the map k), not once per result.
		if stmt == "stage results" {
			inMap := false
			for _, l := range lines {
				inMap = inMap || l == "MATERIALIZE k"
				if strings.HasPrefix(l, "SEARCH c ") && !inMap {
					t.Errorf("the move's stage results statement searches the competences once per result:\n%s", plan)
				}
			}
		}
	}
}

// On PostgreSQL the move's statements read the real tables by index (with
// sequential scans disabled, a table that no index serves still shows one,
// whatever the test's sizes), and never search again
// per row what staging already read: an evaluation copy carries its
// evaluation's fields, and the results reach the competences and
// referentials through the batch's map of competences (the CTE k), not once
// per result.
func TestTransferMovePlansPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a few hundred students")
	}
	ctx := context.Background()
	st := storetest.Open(t, store.Postgres, &storetest.Clock{T: storetest.Epoch})
	const movers = 10
	refs, uai := buildTransferInstance(t, st, 3_000_000, 3, 80, movers, 5)
	pairs := make([]store.TransferPair, 0, movers)
	for _, r := range refs[:movers] {
		pairs = append(pairs, store.TransferPair{OriginUAI: r.UAI, OriginStudentID: r.StudentID, DestUAI: uai(1), DestStudentID: 1})
	}
	var plans map[string]store.PlanNode
	errRollback := errors.New("rollback")
	err := st.Write(ctx, func(tx *store.Tx) (err error) {
		if plans, err = tx.CrossTenant().TransferMovePlansPostgres(ctx, pairs); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	// The tables each statement must not read outside the map of
	// competences: what staging carries in the temporary tables.
	notRead := map[string][]string{
		"stage results": {"evaluations", "referentials", "competences"},
		"stage":         {"results", "competences"},
		"summary":       {"evaluations", "referentials", "results", "competences"},
		"evaluations":   {"evaluations", "competences"},
		"results":       {"results", "evaluations", "competences", "referentials"},
		"comments":      {"evaluations", "referentials"},
		"missing":       {"evaluations", "results"},
	}
	if len(plans) != len(notRead) {
		t.Fatalf("%d statements explained, want %d", len(plans), len(notRead))
	}
	for stmt, plan := range plans {
		var walk func(n store.PlanNode, inMap bool, depth int)
		var lines []string
		var problems []string
		mapFromResults := false
		walk = func(n store.PlanNode, inMap bool, depth int) {
			lines = append(lines, fmt.Sprintf("%s%s %s %s %s", strings.Repeat("  ", depth), n.NodeType, n.Relation, n.IndexName, n.IndexCond))
			inMap = inMap || n.SubplanName == "CTE k"
			mapFromResults = mapFromResults || inMap && n.Relation == "transfer_results"
			real := n.Relation != "" && !strings.HasPrefix(n.Relation, "transfer_") && n.NodeType != "ModifyTable"
			// (A full index scan is the planner's choice on the test's
			// small tables; a sequential one means no index serves.)
			if real && n.NodeType == "Seq Scan" {
				problems = append(problems, "scans the whole of "+n.Relation)
			}
			if real && !inMap && slices.Contains(notRead[stmt], n.Relation) {
				problems = append(problems, "reads "+n.Relation)
			}
			// The check of the referentials searches each competence and
			// referential the batch uses by its key: a scan without a
			// condition would read those of the whole instance.
			if stmt == "missing" && (n.Relation == "competences" || n.Relation == "referentials") && n.IndexCond == "" {
				problems = append(problems, "reads the whole of "+n.Relation)
			}
			for _, c := range n.Plans {
				walk(c, inMap, depth+1)
			}
		}
		walk(plan, false, 0)
		// The map holds the competences the staged results use, not all
		// of their origins' (dozens of referentials in a lycée).
		if stmt == "results" && !mapFromResults {
			problems = append(problems, "maps competences the staged results do not use")
		}
		for _, p := range problems {
			t.Errorf("the move's %s statement %s:\n%s", stmt, p, strings.Join(lines, "\n"))
		}
	}
}

// buildTransferInstance stores estabs establishments of per students, each
// with an evaluation record, the last movers of each gone (deactivated, in
// the index of departures) to the next establishment, where they are new;
// it returns the movers' origin references and the establishments' UAIs
// (from base).
func buildTransferInstance(t *testing.T, st *store.Store, base, estabs, per, movers, evals int) ([]sillage.StudentRef, func(int) sillage.UAI) {
	t.Helper()
	ctx := context.Background()
	uai := func(i int) sillage.UAI {
		digits := fmt.Sprintf("%07d", base+i)
		l, _ := sillage.UAICheckLetter(digits)
		return sillage.UAI(digits + string(l))
	}
	unqid := func(est, k int) string { return fmt.Sprintf("v1:P%03dS%04d", est, k) }
	left := storetest.Epoch.AddDate(0, -1, 0)
	var refs []sillage.StudentRef
	for i := range estabs {
		u := uai(i)
		// One transaction per establishment, as an import writes it.
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: u, Name: "Lycée " + string(u), Kind: sillage.KindLP}); err != nil {
				return err
			}
			teacher := sillage.Person{Role: sillage.RoleTeacher, LastName: "Prof", FirstName: string(u), Source: sillage.SourceDemo}
			if err := tx.People().CreatePerson(ctx, u, &teacher); err != nil {
				return err
			}
			ref := sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro MELEC"}
			for c := range 12 {
				ref.Competences = append(ref.Competences, sillage.Competence{Domain: "C1", Code: "C1." + strconv.Itoa(c+1), Label: "Compétence"})
			}
			if err := tx.Records().CreateReferential(ctx, u, &ref); err != nil {
				return err
			}
			var ids []int64
			for k := range per {
				s := sillage.Student{Person: sillage.Person{FirstName: "Élève", LastName: "N" + strconv.Itoa(k), Source: sillage.SourceSIECLE},
					Unqid: unqid(i, k), Diploma: "24732205", TransferStatus: sillage.TransferSettled, EnteredAt: left.AddDate(-1, 0, 0)}
				leaving := k >= per-movers
				if leaving {
					s.DeactivatedAt = left
				}
				if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
					return err
				}
				ids = append(ids, s.ID)
				if leaving {
					refs = append(refs, sillage.StudentRef{UAI: u, StudentID: s.ID})
					if err := tx.CrossTenant().PutIndexEntry(ctx, sillage.TransferIndexEntry{Unqid: s.Unqid, OriginUAI: u, OriginStudentID: s.ID, Diploma: "24732205", DeactivatedAt: left}); err != nil {
						return err
					}
				}
			}
			prev := (i - 1 + estabs) % estabs
			for m := range movers {
				s := sillage.Student{Person: sillage.Person{FirstName: "Arrivé", LastName: "N" + strconv.Itoa(m), Source: sillage.SourceSIECLE},
					Unqid: unqid(prev, per-movers+m), Diploma: "24732205", PreviousUAI: uai(prev)}
				if err := tx.People().CreateStudent(ctx, u, &s); err != nil {
					return err
				}
			}
			// Every student has a record, not only the movers.
			var results []sillage.Result
			for ev := range evals {
				e := sillage.Evaluation{Title: "Évaluation " + strconv.Itoa(ev), Date: sillage.NewDate(2025, 9, 1+ev), Level: "Première professionnelle",
					Diploma: "24732205", ReferentialID: ref.ID, AuthorID: teacher.ID}
				if err := tx.Records().CreateEvaluation(ctx, u, &e); err != nil {
					return err
				}
				for j, id := range ids {
					for c := range 2 {
						results = append(results, sillage.Result{EvaluationID: e.ID, StudentID: id, CompetenceID: ref.Competences[(ev+c)%12].ID, Value: strconv.Itoa(1 + (j+c)%4)})
					}
				}
			}
			return tx.Records().InsertResults(ctx, u, results)
		})
		if err != nil {
			t.Fatalf("build %s: %v", u, err)
		}
	}
	return refs, uai
}

// movePlanScan tells the scans the move's statements may do: the batch's
// temporary tables (aliases p and m), the subqueries of a batch's own
// rows (among them the staged results' r and their distinct competences
// u and d), and the batch's few ranges of reserved ids (i).
func movePlanScan(l string) bool {
	for _, ok := range []string{"SCAN p", "SCAN m", "SCAN transfer_pairs", "SCAN transfer_copies", "SCAN transfer_results", "SCAN k", "SCAN l",
		"SCAN i", "SCAN r", "SCAN u", "SCAN d"} {
		if l == ok || strings.HasPrefix(l, ok+" ") {
			return true
		}
	}
	return strings.HasSuffix(l, " CONSTANT ROWS") || l == "SCAN CONSTANT ROW" || strings.HasPrefix(l, "SCAN (subquery-")
}

// allowedScan tells the scans the transfer's reads may do at any size: the
// index of departures (small by design: the movers not yet transferred),
// the students asked for, and the partial index of the new students.
func allowedScan(l string) bool {
	for _, ok := range []string{"SCAN i", "SCAN r", "SCAN p USING INDEX persons_transfer_new"} {
		if l == ok || strings.HasPrefix(l, ok+" ") {
			return true
		}
	}
	return strings.HasSuffix(l, " CONSTANT ROWS")
}

// Migration 0022 left persons with the indexes its reads need and no
// other (each index costs an import one insertion per row). The reads that
// relied on a dropped index must still find their rows by index, on both
// engines, without statistics gathered by hand.
func TestPersonsReadsUseIndexes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		uai := sillage.UAI("0010856A")
		left := storetest.Epoch.AddDate(0, -2, 0)
		var aafIDs []string
		err := st.Write(ctx, func(tx *store.Tx) error {
			if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée", Kind: sillage.KindLP}); err != nil {
				return err
			}
			for k := range 300 {
				s := sillage.Student{Person: sillage.Person{FirstName: "Élève", LastName: "N" + strconv.Itoa(k), Source: sillage.SourceAAF,
					AAFID: "A" + strconv.Itoa(k)}, Unqid: fmt.Sprintf("v1:S%04d", k)}
				if k%10 == 0 {
					s.DeactivatedAt = left
				}
				if err := tx.People().CreateStudent(ctx, uai, &s); err != nil {
					return err
				}
				if k%50 == 0 {
					aafIDs = append(aafIDs, s.AAFID)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"count-purgeable": "persons_deactivated", "list-purgeable": "persons_deactivated", "find-aaf": "persons_aaf"}
		var plans map[string][]string
		err = st.Read(ctx, func(tx *store.Tx) (err error) {
			plans, err = tx.CrossTenant().PersonsReadPlans(ctx, storetest.Epoch.AddDate(0, -1, 0), uai, aafIDs)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for read, index := range want {
			plan := strings.Join(plans[read], "\n")
			if !strings.Contains(plan, index) {
				t.Errorf("%s does not read by %s:\n%s", read, index, plan)
			}
			if strings.Contains(plan, "Seq Scan on persons") || strings.Contains(plan, "SCAN persons\n") || strings.HasSuffix(plan, "SCAN persons") {
				t.Errorf("%s scans persons:\n%s", read, plan)
			}
		}

		var names []string
		err = st.Read(ctx, func(tx *store.Tx) (err error) {
			names, err = tx.CrossTenant().TableIndexes(ctx, "persons")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(names)
		wantNames := []string{"persons_aaf", "persons_account", "persons_deactivated", "persons_division", "persons_role",
			"persons_siecle", "persons_sts", "persons_system", "persons_transfer_new"}
		if !slices.Equal(names, wantNames) {
			t.Errorf("indexes of persons (besides its key) = %v, want %v", names, wantNames)
		}
	})
}
