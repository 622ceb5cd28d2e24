package lsu

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/sharedref"
)

// xmllintEvery is how often, while fuzzing, a generated file is also
// validated by xmllint.
const xmllintEvery = 8

var fuzzRuns atomic.Int64

// fuzzSource turns fuzz bytes into choices. Byte 0 always picks the first,
// well-formed option, so an all-zero input is a clean export; an exhausted
// source keeps returning 0.
type fuzzSource struct{ b []byte }

func (f *fuzzSource) next() byte {
	if len(f.b) == 0 {
		return 0
	}
	c := f.b[0]
	f.b = f.b[1:]
	return c
}

func (f *fuzzSource) intn(n int) int { return int(f.next()) % n }

// pick returns the first option three times in four: most values are
// well-formed, so that inputs reach the generator with several reports, and
// the others still come up.
func pick[T any](f *fuzzSource, options ...T) T {
	c := int(f.next())
	if len(options) == 1 || c%4 != 3 {
		return options[0]
	}
	return options[1+(c/4)%(len(options)-1)]
}

// textPieces mixes ordinary words with what breaks XML writers: markup
// characters, control characters, invalid UTF-8, lone "\r", blank runs.
var textPieces = []string{
	"Bien", " ", "élève", "travail", "&", "<b>", "\"", "'", "\n", "\r\n", "\r", "\t", "\x00", "\x1b", "\xff\xfe",
	"\u00a0", "😀", "œ", "]]>", "-", "=1+1", "\uFFFE", "  ",
}

func (f *fuzzSource) text() string {
	n := f.intn(8)
	var b strings.Builder
	for range n {
		b.WriteString(pick(f, textPieces...))
	}
	if f.intn(16) == 15 {
		// Longer than every LSU limit, multi-byte, so truncation counts runes.
		return strings.Repeat("é"+b.String(), 700)
	}
	return b.String()
}

func (f *fuzzSource) date() time.Time {
	return pick(f, date(2025, 9, 1), date(2025, 11, 30), time.Time{}, date(2026, 7, 4), date(24, 1, 1), date(2025, 8, 15))
}

func (f *fuzzSource) mark() *float64 {
	return pick(f, mark(12.5), nil, mark(19.999), mark(21), mark(-1), mark(math.NaN()), mark(0), mark(20))
}

func (f *fuzzSource) counter() *int {
	return pick(f, count(2), nil, count(-1), count(0), count(1500), count(999))
}

func (f *fuzzSource) ids(prefix string, n int) []string {
	var out []string
	for range pick(f, 1, 0, 2) {
		out = append(out, prefix+string(rune('0'+f.intn(n+1))))
	}
	return out
}

// fuzzInput builds an export input from fuzz bytes.
func fuzzInput(data []byte) *Input {
	f := &fuzzSource{b: data}
	in := &Input{}
	in.Target.Degree = pick(f, SecondDegree, FirstDegree)
	if in.Target.Degree == SecondDegree {
		in.Target.Version = pick(f, Version10, Version7, "")
	} else {
		in.Target.Version = pick(f, Version1b, Version1_0, "")
	}
	in.Establishment.UAI = pick(f, "0861234Z", "0861234A", "")
	in.AppVersion = f.text()
	in.YearRolledOver = f.intn(32) == 31
	for i := range 1 + f.intn(2) {
		in.Establishment.Heads = append(in.Establishment.Heads, Head{ID: "h" + string(rune('0'+i)),
			Civility: pick(f, "MME", "M", "", "x"), LastName: pick(f, "FONTAINE", "") + f.text(), FirstName: pick(f, "Claire", "") + f.text()})
	}
	in.Directory.STSDivisions = pick(f, []string{"3 A", "4B"}, []string{"3 A"}, nil)
	in.Directory.ONDEClassIDs = pick(f, []string{"4021", "4022"}, []string{"4021"}, nil)
	in.Config.ModalityN = pick(f, "", "O", "Q")
	in.Config.Positioning = pick(f, ModeAverages, ModePositioning, "")

	nStudents := 1 + f.intn(4)
	for i := range nStudents {
		in.Students = append(in.Students, Student{
			ID:         "s" + string(rune('0'+i)),
			LastName:   pick(f, "ARNAUD", "BERTIN", "") + f.text(),
			FirstName:  pick(f, "Léa", "Hugo", "") + f.text(),
			EleveID:    pick(f, "1000"+string(rune('0'+i)), "100001", "A1", "", "0"),
			Division:   pick(f, "3 A", "4B", "", "5Z", strings.Repeat("D", 21)),
			Level:      pick(f, "3", "4", ""),
			EntryDate:  f.date(),
			INE:        ident.RawINE(pick(f, []string{"999000001HA", "9990000012R", "999000003AC", "999000004BD"}[i%4], "999000001HA", "bad", "", "9990000012A")),
			ClassID:    pick(f, "4021", "4022", "abc", "9999"),
			ClassLabel: pick(f, "CE2", "") + f.text(),
		})
	}
	nPeriods := 1 + f.intn(3)
	for i := range nPeriods {
		in.Periods = append(in.Periods, Period{ID: "p" + string(rune('0'+i)),
			Year: pick(f, 2025, 25), Index: pick(f, i+1, 0, 4), Count: pick(f, 3, 2, 0),
			Start:     pick(f, date(2025, 9, 1).AddDate(0, 3*i, 0), time.Time{}, date(2025, 8, 20)),
			End:       pick(f, date(2025, 11, 30).AddDate(0, 3*i, 0), time.Time{}, date(2025, 1, 1)),
			TermStart: f.date()})
	}
	nSubjects := 1 + f.intn(4)
	for i := range nSubjects {
		in.Subjects = append(in.Subjects, Subject{ID: "m" + string(rune('0'+i)),
			Code:         pick(f, []string{"020700", "061300", "030201", "100A00"}[i], "020700", "0206", ""),
			NationalCode: pick(f, "", "100100", "12"),
			Modality:     pick(f, "S", "F", "N", "Z", "D", ""),
			Label:        f.text(),
			DomainCode:   pick(f, []string{"FRA-RAC", "MAT-RAC", "EPS-RAC", "LVE-RAC"}[i], "FRA-RAC", "X")})
	}
	nTeachers := 1 + f.intn(3)
	for i := range nTeachers {
		in.Teachers = append(in.Teachers, Teacher{ID: "t" + string(rune('0'+i)),
			STSID:    pick(f, "432"+string(rune('0'+i)), "P12", "", "x", "4320"),
			STSType:  pick(f, "epp", "local", "", "zz"),
			Civility: pick(f, "MME", "M", "", "Mlle", "?"),
			LastName: f.text(), FirstName: f.text()})
	}
	for i := range f.intn(4) {
		in.Elements = append(in.Elements, ProgrammeElement{ID: "e" + string(rune('0'+i)), Label: pick(f, "Lire", "") + f.text()})
	}
	// Report k goes to student k mod n and period k div n, so that most
	// reports are distinct; a byte of 7 points to an unknown one.
	for k := range 1 + f.intn(8) {
		student, period := k%nStudents, (k/nStudents)%nPeriods
		if f.intn(8) == 7 {
			student = nStudents
		}
		if f.intn(8) == 7 {
			period = nPeriods
		}
		r := PeriodicReport{
			StudentID:           "s" + string(rune('0'+student)),
			PeriodID:            "p" + string(rune('0'+period)),
			State:               pick(f, Closed, Draft),
			ClosedAt:            pick(f, at(2025, 12, 1, 17, 30), time.Time{}),
			CouncilDate:         f.date(),
			HeadID:              pick(f, "", "h0", "h1", "h9"),
			HeadTeacherIDs:      f.ids("t", nTeachers),
			GeneralAppreciation: f.text(),
		}
		for range 1 + f.intn(4) {
			res := SubjectResult{
				SubjectID:  "m" + string(rune('0'+f.intn(nSubjects+1))),
				TeacherIDs: f.ids("t", nTeachers), ElementIDs: f.ids("e", 3),
				Average: f.mark(), Positioning: pick(f, 3, 0, 5, -1), Status: EvaluationStatus(pick(f, 0, 1, 2, 3, 7)),
				StructureAverage: f.mark(), StructureStatus: EvaluationStatus(pick(f, 0, 1, 3)),
				Appreciation: f.text(), NotEvaluated: f.intn(4) == 3,
			}
			for range f.intn(3) {
				res.SubDomains = append(res.SubDomains, SubDomainResult{Code: pick(f, "FRA-LEC", "FRA-ECR", "X"),
					Positioning: pick(f, 0, 2, 9), ElementIDs: f.ids("e", 3), NotEvaluated: f.intn(2) == 1})
			}
			r.Subjects = append(r.Subjects, res)
		}
		if f.intn(4) != 3 {
			r.SchoolLife = &SchoolLife{Late: f.counter(), Absences: f.counter(), Unjustified: f.counter(), MissedHours: f.counter(), Comment: f.text()}
		}
		for range f.intn(3) {
			r.Support = append(r.Support, SupportMeasure{Code: pick(f, "PPRE", "PAP", "RASED", "SEGPA", "zz"), PPREComplement: f.text()})
		}
		in.Periodic = append(in.Periodic, r)
	}
	for k := range f.intn(3) {
		student := k % nStudents
		if f.intn(8) == 7 {
			student = nStudents
		}
		c := CycleReport{
			StudentID: "s" + string(rune('0'+student)),
			Cycle:     pick(f, 4, 3, 2, 5), Year: pick(f, 2025, 0),
			State: pick(f, Closed, Draft), ClosedAt: pick(f, at(2026, 6, 20, 10, 0), time.Time{}), CreatedAt: f.date(),
			Socle: map[string]int{}, Synthesis: f.text(), HeadID: pick(f, "", "h1", "h9"), HeadTeacherIDs: f.ids("t", nTeachers),
		}
		for _, d := range SocleDomains {
			if v := f.intn(8); v < 7 {
				c.Socle[d] = v - 1 // -1 … 5, with 0–4 most of the time
			}
		}
		if f.intn(2) == 1 {
			c.Socle["XXX"] = 1
		}
		if f.intn(2) == 1 {
			c.Complement = &Option{Code: pick(f, "LCA", "AUC", "ZZZ"), Level: pick(f, 1, 2, 0, 3)}
		}
		if f.intn(2) == 1 {
			c.RegionalLanguage = &Option{Code: pick(f, "BRE", "AUC", "XX"), Level: pick(f, 2, 0, 7)}
		}
		in.Cycles = append(in.Cycles, c)
	}
	return in
}

// FuzzGenerate builds random exports and checks the promise of the package:
// whatever the content, Collect either blocks (and says so in the report)
// or yields a plan whose file is valid; no report line holds an INE.
//
// Every generated file goes through the in-Go checks (Generate's own
// refusals and CheckReferences, which also covers what xmllint --stream
// misses). When xmllint is installed, the file is also validated against
// the official XSD of its version, on stdin: always for the seed corpus,
// and for one input in xmllintEvery while fuzzing. A run of xmllint costs
// 5–40 ms, and the fuzzing engine re-runs the target thousands of times to
// minimise each new input, which stalled the run for minutes when every
// input was validated.
func FuzzGenerate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1})                                 // 1st degree, clean
	f.Add([]byte{0, 1})                              // 7.0
	f.Add(bytes.Repeat([]byte{0, 1, 2}, 60))         // a bit of everything
	f.Add(bytes.Repeat([]byte{3, 7, 15, 31, 1}, 80)) // long texts, odd values
	f.Add([]byte("\x01\x01\x00\x00\x05\x09\x02\x00\xff\x10"))

	var xsdDir string
	if haveXmllint(f) {
		xsdDir = sharedref.Path(f, "lsu")
	}
	fuzzing := false
	if fl := flag.Lookup("test.fuzz"); fl != nil && fl.Value.String() != "" {
		fuzzing = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		plan, rep := Collect(in)
		if rep == nil {
			t.Fatal("no report")
		}

		// No INE in any form of the report.
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatalf("report JSON: %v", err)
		}
		var csv bytes.Buffer
		if err := rep.WriteCSV(&csv); err != nil {
			t.Fatalf("report CSV: %v", err)
		}
		for _, s := range in.Students {
			if v := s.INE.Value(); len(v) >= 8 && (bytes.Contains(js, []byte(v)) || strings.Contains(csv.String(), v)) {
				t.Fatal("the report holds an INE")
			}
		}

		if plan == nil {
			if !rep.FileBlocked {
				t.Fatal("no plan but the report does not block the file")
			}
			if _, ok := findLine(rep, Blocking, "", ""); !ok {
				t.Fatal("blocked file without a file-level blocking line")
			}
			return
		}

		// Every report left out is reported as blocked for its student.
		exported := map[string]int{}
		for _, r := range plan.Periodic {
			exported[r.StudentID]++
		}
		for _, r := range plan.Cycles {
			exported[r.StudentID]++
		}
		given := map[string]int{}
		for _, r := range in.Periodic {
			given[r.StudentID]++
		}
		for _, r := range in.Cycles {
			given[r.StudentID]++
		}
		names := map[string]string{}
		for _, s := range in.Students {
			names[s.ID] = displayName(s)
		}
		for id, n := range given {
			if exported[id] >= n {
				continue
			}
			name, known := names[id]
			if !known {
				name = "identifiant local " + id
			}
			if _, ok := findLine(rep, Blocking, name, ""); !ok {
				t.Fatalf("%d of %d reports of %q left out without a blocking line:\n%s", n-exported[id], n, name, dump(rep))
			}
		}

		var out bytes.Buffer
		if err := Generate(&out, plan); err != nil {
			t.Fatalf("Generate refused Collect's plan: %v", err)
		}
		var again bytes.Buffer
		if err := Generate(&again, plan); err != nil || !bytes.Equal(out.Bytes(), again.Bytes()) {
			t.Fatal("Generate is not deterministic")
		}
		if err := CheckReferences(bytes.NewReader(out.Bytes())); err != nil {
			t.Fatalf("CheckReferences: %v\n%s", err, out.String())
		}
		if xsdDir == "" || (fuzzing && fuzzRuns.Add(1)%xmllintEvery != 0) {
			return
		}
		xsd, err := SchemaFile(xsdDir, plan.Target.Degree, plan.Target.Version)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(context.Background(), xsd, "-", bytes.NewReader(out.Bytes()), nil); err != nil {
			t.Fatalf("invalid file offered: %v\n%s", err, out.String())
		}
	})
}
