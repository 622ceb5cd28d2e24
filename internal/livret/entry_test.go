package livret_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/livret"
	"github.com/sillage/sillage/internal/livret/lsutest"
	"github.com/sillage/sillage/internal/lsu"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

func TestPropose(t *testing.T) {
	sc := sillage.DefaultScale()
	tests := []struct {
		values []string
		want   int
	}{
		{nil, 0},
		{[]string{"ABS", "DISP"}, 0},
		{[]string{"1", "1", "2"}, 1},        // 1.33
		{[]string{"2", "3"}, 3},             // 2.5: the thresholds are "below"
		{[]string{"2", "2", "3", "ABS"}, 2}, // 2.33, the absence left out
		{[]string{"4", "3", "4"}, 4},        // 3.67
		{[]string{"inconnu", "3"}, 3},
	}
	for _, tt := range tests {
		if got := livret.Propose(tt.values, sc, livret.DefaultThresholds); got.Positioning != tt.want {
			t.Errorf("Propose(%v) = %+v, want %d", tt.values, got, tt.want)
		}
	}
	if got := livret.Propose([]string{"2", "3"}, sc, [3]float64{1, 2, 2.4}); got.Positioning != 4 {
		t.Errorf("with lower thresholds: %+v", got)
	}
	if _, err := livret.ParseThresholds("2;1;3"); err == nil {
		t.Error("decreasing thresholds accepted")
	}
	if th, err := livret.ParseThresholds("1,25 ; 2,5 ; 3,75"); err != nil || th != [3]float64{1.25, 2.5, 3.75} {
		t.Errorf("French thresholds: %v %v", th, err)
	}
}

func TestParseAverage(t *testing.T) {
	for in, want := range map[string]int{"15": 1500, "15,5": 1550, "0": 0, "20": 2000, " 12.25 ": 1225} {
		got, err := livret.ParseAverage(in)
		if err != nil || *got != want {
			t.Errorf("ParseAverage(%q) = %v %v", in, got, err)
		}
	}
	for _, in := range []string{"21", "-1", "abc", "12,345", "NaN"} {
		if _, err := livret.ParseAverage(in); sillage.KindOf(err) != sillage.KindInvalid {
			t.Errorf("ParseAverage(%q): %v", in, err)
		}
	}
	if v, err := livret.ParseAverage(""); v != nil || err != nil {
		t.Errorf("empty average: %v %v", v, err)
	}
}

// entryFixture is a collège of 2 divisions with draft reports.
func entryFixture(t *testing.T, st *store.Store) *lsutest.Fixture {
	t.Helper()
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 2, PerDivision: 3, Periods: 1, Subjects: 3, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func teacherWho(p sillage.Person) sillage.Who { return sillage.Who{PersonID: p.ID, Role: p.Role} }

func TestGridReachAndEntry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		f := entryFixture(t, st)
		french, maths := f.Teachers[0], f.Teachers[1] // FRANCAIS, MATHEMATIQUES
		div, period := f.Divisions[0], f.Periods[0]
		var newcomer sillage.Person
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			newcomer = sillage.Person{Role: sillage.RoleTeacher, LastName: "NOUVEAU", FirstName: "Paul", Source: sillage.SourceManual}
			return tx.People().CreatePerson(ctx, f.UAI, &newcomer)
		})
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			g, err := livret.LoadGrid(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "")
			if err != nil {
				return err
			}
			if g.Subject.Code != "020700" || len(g.Subjects) != 1 || len(g.Rows) != 3 || g.Rows[0].Result.Average == nil {
				t.Fatalf("French teacher's grid: %+v", g)
			}
			if _, err := livret.LoadGrid(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "061300"); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("another teacher's subject: %v", err)
			}
			if _, err := livret.LoadGrid(ctx, tx, f.UAI, teacherWho(newcomer), div.ID, period.ID, ""); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("a teacher without a service in the division: %v", err)
			}
			staff, err := livret.LoadGrid(ctx, tx, f.UAI, sillage.Who{PersonID: f.Director.ID, Role: sillage.RoleDirector}, div.ID, period.ID, "061300")
			if err != nil || len(staff.Subjects) != 3 {
				t.Fatalf("the director's grid: %+v %v", staff, err)
			}

			s := g.Rows[1].Student
			row, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, s.ID, "020700",
				livret.ResultInput{Average: "14,75", Positioning: "3", Appreciation: " Bon travail. "})
			if err != nil {
				return err
			}
			if *row.Result.Average != 1475 || row.Result.Positioning != 3 || row.Result.Appreciation != "Bon travail." || row.Result.TeacherID != french.ID {
				t.Fatalf("saved row: %+v", row.Result)
			}
			for _, bad := range []livret.ResultInput{{Average: "21"}, {Positioning: "5"}, {Status: "4"}} {
				if _, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, s.ID, "020700", bad); sillage.KindOf(err) != sillage.KindInvalid {
					t.Errorf("SaveResult(%+v): %v", bad, err)
				}
			}
			if _, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(maths), div.ID, period.ID, s.ID, "020700", livret.ResultInput{Average: "10"}); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("the maths teacher entering French: %v", err)
			}
			if _, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, f.Students[4].ID, "020700", livret.ResultInput{Average: "10"}); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("a student of another division: %v", err)
			}
			// Programme elements of the subject.
			if err := livret.AddElement(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700", "Le récit d'aventures"); err != nil {
				return err
			}
			if err := livret.AddElement(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700", "le récit d'aventures"); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("the same element twice: %v", err)
			}
			g, _ = livret.LoadGrid(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700")
			last := g.Elements[len(g.Elements)-1]
			if err := livret.RemoveElement(ctx, tx, f.UAI, teacherWho(maths), div.ID, period.ID, "061300", last.ID); sillage.KindOf(err) != sillage.KindNotFound {
				t.Errorf("removing another subject's element: %v", err)
			}
			return livret.RemoveElement(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700", last.ID)
		})
	})
}

// TestPositioningProposal: the grid proposes a positioning from the
// teacher's competence results of the period in the division.
func TestPositioningProposal(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f := entryFixture(t, st)
	french, div, period := f.Teachers[0], f.Divisions[0], f.Periods[0]
	a, b := f.Students[0], f.Students[1]
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		ref := sillage.Referential{Diploma: "CYCLE4", Kind: sillage.ReferentialOther, Label: "Socle",
			Competences: []sillage.Competence{{Code: "C1", Label: "Lire"}, {Code: "C2", Label: "Écrire"}}}
		if err := tx.Records().CreateReferential(ctx, f.UAI, &ref); err != nil {
			return err
		}
		in := sillage.Evaluation{Title: "Dictée", Date: sillage.NewDate(2025, 10, 1), ReferentialID: ref.ID, AuthorID: french.ID, DivisionID: div.ID}
		out := sillage.Evaluation{Title: "Hors période", Date: sillage.NewDate(2025, 12, 15), ReferentialID: ref.ID, AuthorID: french.ID, DivisionID: div.ID}
		other := sillage.Evaluation{Title: "Maths", Date: sillage.NewDate(2025, 10, 2), ReferentialID: ref.ID, AuthorID: f.Teachers[1].ID, DivisionID: div.ID}
		for _, e := range []*sillage.Evaluation{&in, &out, &other} {
			if err := tx.Records().CreateEvaluation(ctx, f.UAI, e); err != nil {
				return err
			}
		}
		for _, r := range []sillage.Result{
			{EvaluationID: in.ID, StudentID: a.ID, CompetenceID: ref.Competences[0].ID, Value: "4"},
			{EvaluationID: in.ID, StudentID: a.ID, CompetenceID: ref.Competences[1].ID, Value: "3"},
			{EvaluationID: in.ID, StudentID: b.ID, CompetenceID: ref.Competences[0].ID, Value: "1"},
			{EvaluationID: in.ID, StudentID: b.ID, CompetenceID: ref.Competences[1].ID, Value: "ABS"},
			{EvaluationID: out.ID, StudentID: b.ID, CompetenceID: ref.Competences[0].ID, Value: "4"},   // another period
			{EvaluationID: other.ID, StudentID: b.ID, CompetenceID: ref.Competences[0].ID, Value: "4"}, // another teacher
		} {
			if err := tx.Records().SetResult(ctx, f.UAI, r); err != nil {
				return err
			}
		}
		g, err := livret.LoadGrid(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700")
		if err != nil {
			return err
		}
		byStudent := map[int64]livret.Proposal{}
		for _, r := range g.Rows {
			byStudent[r.Student.ID] = r.Proposal
		}
		if p := byStudent[a.ID]; p.Positioning != 4 || p.Count != 2 {
			t.Errorf("proposal of a (4 and 3): %+v", p)
		}
		if p := byStudent[b.ID]; p.Positioning != 1 || p.Count != 1 {
			t.Errorf("proposal of b (1, absent): %+v", p)
		}
		// The establishment's thresholds change the proposal.
		s, _ := livret.LoadSettings(ctx, tx, f.UAI, lsu.SecondDegree)
		s.Thresholds = [3]float64{2, 3, 3.6}
		if err := livret.SaveSettings(ctx, tx, f.UAI, lsu.SecondDegree, actor, s); err != nil {
			return err
		}
		g, _ = livret.LoadGrid(ctx, tx, f.UAI, teacherWho(french), div.ID, period.ID, "020700")
		for _, r := range g.Rows {
			if r.Student.ID == a.ID && r.Proposal.Positioning != 3 {
				t.Errorf("with thresholds 2 ; 3 ; 3,6 the mean 3.5 proposes %d, want 3", r.Proposal.Positioning)
			}
		}
		return nil
	})
}

func TestCloseFreezeReopen(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		ctx := context.Background()
		f := entryFixture(t, st)
		blobs := openBlobs(t)
		div, period := f.Divisions[0], f.Periods[0]
		head := f.Teachers[0] // head teacher of the first division
		notHead := f.Teachers[1]
		s := f.Students[0]
		director := sillage.Who{PersonID: f.Director.ID, Role: sillage.RoleDirector}
		headActor := audit.Actor{ID: head.ID, Role: string(sillage.RoleTeacher), Name: "Prof principal"}
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			in := livret.HeadInput{GeneralAppreciation: "Trimestre encourageant.", Late: "1", Absences: "4", Unjustified: "2", MissedHours: "3",
				Support: []string{"PAP", "PPRE"}, PPREComplement: "Lecture", CouncilDate: "28/11/2025"}
			if err := livret.SaveHead(ctx, tx, f.UAI, teacherWho(notHead), s.ID, period.ID, in); sillage.KindOf(err) != sillage.KindForbidden {
				t.Errorf("a teacher who is not the head teacher: %v", err)
			}
			if err := livret.SaveHead(ctx, tx, f.UAI, teacherWho(head), s.ID, period.ID, livret.HeadInput{Late: "1000"}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("1000 late arrivals: %v", err)
			}
			if err := livret.SaveHead(ctx, tx, f.UAI, teacherWho(head), s.ID, period.ID, livret.HeadInput{Support: []string{"RASED"}}); sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("a 1st-degree measure in a collège: %v", err)
			}
			return livret.SaveHead(ctx, tx, f.UAI, teacherWho(head), s.ID, period.ID, in)
		})
		if err := livret.CloseReport(ctx, st, blobs, f.UAI, teacherWho(notHead), headActor, s.ID, period.ID); sillage.KindOf(err) != sillage.KindForbidden {
			t.Errorf("closing by a teacher who is not the head teacher: %v", err)
		}
		clock.T = clock.T.Add(86400e9)
		if err := livret.CloseReport(ctx, st, blobs, f.UAI, teacherWho(head), headActor, s.ID, period.ID); err != nil {
			t.Fatal(err)
		}
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			v, err := livret.LoadReport(ctx, tx, f.UAI, teacherWho(head), s.ID, period.ID)
			if err != nil {
				return err
			}
			if !v.Report.Closed() || v.CanEdit || v.CanReopen || len(v.PDFs) != 1 || *v.Report.Unjustified != 2 || v.Report.CouncilDate != sillage.NewDate(2025, 11, 28) {
				t.Fatalf("closed report: %+v", v)
			}
			if _, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(head), div.ID, period.ID, s.ID, "020700", livret.ResultInput{Average: "3"}); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("entering into a closed report: %v", err)
			}
			if err := livret.SaveHead(ctx, tx, f.UAI, teacherWho(head), s.ID, period.ID, livret.HeadInput{}); sillage.KindOf(err) != sillage.KindConflict {
				t.Errorf("head fields of a closed report: %v", err)
			}
			if err := livret.ReopenReport(ctx, tx, f.UAI, teacherWho(head), headActor, s.ID, period.ID); sillage.KindOf(err) != sillage.KindForbidden {
				t.Errorf("reopening by the head teacher: %v", err)
			}
			// The PDF is in the year's report PDFs of its division.
			pdfs, err := tx.Livret().ListReportPDFsByDivision(ctx, f.UAI, lsutest.Year)
			if err != nil {
				return err
			}
			if len(pdfs[div.Code]) != 1 || pdfs[div.Code][0].StudentID != s.ID || !blobs.Has(pdfs[div.Code][0].SHA256) {
				t.Fatalf("archived PDFs: %+v", pdfs)
			}
			pdf, _ := blobs.Open(pdfs[div.Code][0].SHA256)
			var b bytes.Buffer
			b.ReadFrom(pdf)
			pdf.Close()
			if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
				t.Fatal("the archived report is not a PDF")
			}
			return livret.ReopenReport(ctx, tx, f.UAI, director, audit.Actor{ID: f.Director.ID, Role: "director"}, s.ID, period.ID)
		})
		// Closing again archives a second PDF; closing the class closes the rest.
		n, err := livret.CloseClass(ctx, st, blobs, f.UAI, teacherWho(head), headActor, div.ID, period.ID)
		if err != nil || n != 3 {
			t.Fatalf("close the class: %d %v", n, err)
		}
		write(t, st, func(ctx context.Context, tx *store.Tx) error {
			pdfs, _ := tx.Livret().ListReportPDFs(ctx, f.UAI, lsutest.Year)
			if len(pdfs) != 4 {
				t.Errorf("%d PDFs, want 4 (one reopened and closed again)", len(pdfs))
			}
			entries, _ := tx.Audit().ListAudit(ctx, f.UAI, sillage.AuditFilter{Action: "lsu.report"})
			if len(entries) != 5 {
				t.Errorf("%d audit entries of closing and reopening, want 5", len(entries))
			}
			return nil
		})
	})
}

func TestCycleReportEntry(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f, err := lsutest.Build(context.Background(), st, lsutest.Options{UAI: uaiCollege, Divisions: 4, PerDivision: 2, Periods: 1, Subjects: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	third := f.Divisions[3] // 3E1
	head := f.Teachers[3%len(f.Teachers)]
	s := f.Students[6]
	if s.DivisionID != third.ID {
		t.Fatalf("fixture: student %s is in %s", s.FullName(), s.DivisionCode)
	}
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		c, err := livret.LoadCycleClass(ctx, tx, f.UAI, teacherWho(head), third.ID, 0)
		if err != nil {
			return err
		}
		if c.Cycle != 4 || !c.Head || len(c.Rows) != 2 {
			t.Fatalf("3e class: %+v", c)
		}
		in := livret.CycleInput{Socle: map[string]string{}, Synthesis: "Très bonne fin de cycle.", ComplementCode: "LCA", ComplementLevel: "2"}
		for i, d := range store.SocleDomains {
			if i < 7 {
				in.Socle[d] = "3"
			}
		}
		if err := livret.SaveCycle(ctx, tx, f.UAI, teacherWho(f.Teachers[0]), s.ID, 4, in); sillage.KindOf(err) != sillage.KindForbidden {
			t.Errorf("a teacher who is not the head teacher: %v", err)
		}
		in.Socle["REP_MND"] = "5"
		if err := livret.SaveCycle(ctx, tx, f.UAI, teacherWho(head), s.ID, 4, in); sillage.KindOf(err) != sillage.KindInvalid {
			t.Errorf("positioning 5: %v", err)
		}
		in.Socle["REP_MND"] = ""
		if err := livret.SaveCycle(ctx, tx, f.UAI, teacherWho(head), s.ID, 4, in); err != nil {
			return err
		}
		v, err := livret.LoadCycle(ctx, tx, f.UAI, teacherWho(head), s.ID, 0)
		if err != nil {
			return err
		}
		if v.Cycle != 4 || len(v.Missing()) != 1 || v.Report.ComplementLevel != 2 {
			t.Fatalf("cycle report: %+v", v)
		}
		return nil
	})
	if err := livret.CloseCycle(ctx, st, openBlobs(t), f.UAI, teacherWho(head), actor, s.ID, 4); err != nil {
		t.Fatal(err)
	}
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		if err := livret.SaveCycle(ctx, tx, f.UAI, teacherWho(head), s.ID, 4, livret.CycleInput{}); sillage.KindOf(err) != sillage.KindConflict {
			t.Errorf("a closed cycle report: %v", err)
		}
		pdfs, _ := tx.Livret().ListReportPDFs(ctx, f.UAI, lsutest.Year)
		if len(pdfs) != 1 || pdfs[0].Kind != store.ReportPDFCycle || pdfs[0].DivisionCode != "3E1" {
			t.Errorf("cycle PDF: %+v", pdfs)
		}
		return livret.ReopenCycle(ctx, tx, f.UAI, sillage.Who{PersonID: f.Director.ID, Role: sillage.RoleDirector}, actor, s.ID, 4)
	})
}

// TestGroupServiceReach: a teacher whose service is a group sees only the
// group's members of the division.
func TestGroupServiceReach(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	f := entryFixture(t, st)
	var latin sillage.Person
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		latin = sillage.Person{Role: sillage.RoleTeacher, LastName: "CICÉRON", FirstName: "Marc", Source: sillage.SourceSTS, STSID: "7777"}
		if err := tx.People().CreatePerson(ctx, f.UAI, &latin); err != nil {
			return err
		}
		g := sillage.Group{SchoolYear: lsutest.Year, Label: "Latin 5e", Kind: sillage.GroupOption}
		if err := tx.People().CreateGroup(ctx, f.UAI, &g); err != nil {
			return err
		}
		if err := tx.People().AddGroupMember(ctx, f.UAI, g.ID, f.Students[1].ID); err != nil {
			return err
		}
		if err := tx.People().UpsertSubject(ctx, f.UAI, sillage.Subject{Code: "020300", LongLabel: "LATIN"}); err != nil {
			return err
		}
		return tx.People().ReplaceServices(ctx, f.UAI, latin.ID, []sillage.Service{{GroupID: g.ID, SubjectCode: "020300"}})
	})
	write(t, st, func(ctx context.Context, tx *store.Tx) error {
		g, err := livret.LoadGrid(ctx, tx, f.UAI, teacherWho(latin), f.Divisions[0].ID, f.Periods[0].ID, "")
		if err != nil {
			return err
		}
		if g.Subject.Code != "020300" || len(g.Rows) != 1 || g.Rows[0].Student.ID != f.Students[1].ID {
			t.Fatalf("group grid: %+v", g.Rows)
		}
		if _, err := livret.SaveResult(ctx, tx, f.UAI, teacherWho(latin), f.Divisions[0].ID, f.Periods[0].ID, f.Students[0].ID, "020300",
			livret.ResultInput{Positioning: "2"}); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("a student outside the group: %v", err)
		}
		home, err := livret.LoadHome(ctx, tx, f.UAI, teacherWho(latin), storetest.Epoch, 0)
		if err != nil {
			return err
		}
		if home.Period.ID != f.Periods[0].ID || len(home.Grids) != 1 || len(home.Classes) != 0 {
			t.Fatalf("home of the group teacher: %+v", home)
		}
		// The class's reports and end-of-cycle reports stay closed: the
		// group's teacher does not reach the rest of the class.
		if _, err := livret.LoadClass(ctx, tx, f.UAI, teacherWho(latin), f.Divisions[0].ID, f.Periods[0].ID); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("class reports for the group's teacher: %v", err)
		}
		if _, err := livret.LoadCycleClass(ctx, tx, f.UAI, teacherWho(latin), f.Divisions[0].ID, 0); sillage.KindOf(err) != sillage.KindNotFound {
			t.Errorf("cycle reports for the group's teacher: %v", err)
		}
		return nil
	})
}
