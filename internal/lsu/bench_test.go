package lsu

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/sharedref"
)

// collegeScale builds a synthetic collège: divisions of perDivision
// students, 3 closed terms, 12 subjects with two programme elements each,
// realistic appreciation lengths (about 250 characters per subject, 400 for
// the general appreciation).
func collegeScale(divisions, perDivision int) *Input {
	in := &Input{
		Target:        Target{Degree: SecondDegree},
		Establishment: Establishment{UAI: "0861234Z", Heads: []Head{{ID: "h1", Civility: "MME", LastName: "FONTAINE", FirstName: "Claire"}}},
		Config:        Config{Positioning: ModeAverages},
	}
	for p := range 3 {
		in.Periods = append(in.Periods, Period{ID: fmt.Sprintf("t%d", p+1), Year: 2025, Index: p + 1, Count: 3,
			Start: date(2025, 9, 1).AddDate(0, 3*p, 0), End: date(2025, 11, 30).AddDate(0, 3*p, 0), TermStart: date(2025, 9, 1)})
	}
	appreciation := strings.Repeat("Travail sérieux, participation active ; des progrès à confirmer. ", 4)
	general := strings.Repeat("Bon trimestre dans l'ensemble, le conseil de classe encourage la poursuite des efforts. ", 5)
	for s := range 12 {
		id := fmt.Sprintf("m%02d", s)
		in.Subjects = append(in.Subjects, Subject{ID: id, Code: fmt.Sprintf("%06d", 20000+s*300), Modality: "S", Label: fmt.Sprintf("Matière %d", s+1)})
		in.Teachers = append(in.Teachers, Teacher{ID: "t" + id, STSID: fmt.Sprint(5000 + s), STSType: "epp", Civility: "MME", LastName: fmt.Sprintf("ENSEIGNANT%02d", s), FirstName: "Prénom"})
		for e := range 2 {
			in.Elements = append(in.Elements, ProgrammeElement{ID: fmt.Sprintf("e%s-%d", id, e), Label: fmt.Sprintf("Élément de programme %d de la matière %d", e+1, s+1)})
		}
	}
	for d := range divisions {
		div := fmt.Sprintf("%dE%d", 6-d%4, d/4+1)
		in.Directory.STSDivisions = append(in.Directory.STSDivisions, div)
		for k := range perDivision {
			n := d*perDivision + k
			st := Student{ID: fmt.Sprintf("s%04d", n), LastName: fmt.Sprintf("NOM%04d", n), FirstName: "Camille",
				EleveID: fmt.Sprint(200000 + n), Division: div, Level: div[:1], EntryDate: date(2023, 9, 4)}
			in.Students = append(in.Students, st)
			for _, p := range in.Periods {
				r := PeriodicReport{StudentID: st.ID, PeriodID: p.ID, State: Closed, ClosedAt: at(p.End.Year(), p.End.Month(), p.End.Day(), 18, 0),
					CouncilDate: p.End, GeneralAppreciation: general, HeadTeacherIDs: []string{"tm00"},
					SchoolLife: &SchoolLife{Late: count(k % 3), Absences: count(k % 5), Unjustified: count(k % 2), MissedHours: count(k % 7)}}
				for s, subj := range in.Subjects {
					r.Subjects = append(r.Subjects, SubjectResult{SubjectID: subj.ID, TeacherIDs: []string{"t" + subj.ID},
						ElementIDs: []string{fmt.Sprintf("e%s-0", subj.ID), fmt.Sprintf("e%s-1", subj.ID)},
						Average:    mark(float64((n+s)%20) + 0.25), StructureAverage: mark(11.5), Appreciation: appreciation})
				}
				in.Periodic = append(in.Periodic, r)
			}
		}
	}
	return in
}

func reportMS(b *testing.B, unit string) {
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), unit)
}

// BenchmarkLSUExportClass is one class export as an administrator runs it:
// collect, generate to a file, check, validate with xmllint, rename.
func BenchmarkLSUExportClass(b *testing.B) {
	requireXmllint(b)
	xsdDir := sharedref.Path(b, "lsu")
	in := collegeScale(1, 30)
	out := filepath.Join(b.TempDir(), "lsu.xml")
	ctx := context.Background()
	for b.Loop() {
		if _, err := Export(ctx, in, xsdDir, out); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b, "ms/class")
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/1024, "KiB/file")
	}
}

// BenchmarkLSUCollectGenerateClass is the same class without the file and
// xmllint: the cost of this package alone.
func BenchmarkLSUCollectGenerateClass(b *testing.B) {
	in := collegeScale(1, 30)
	var buf bytes.Buffer
	for b.Loop() {
		plan, _ := Collect(in)
		buf.Reset()
		if err := Generate(&buf, plan); err != nil {
			b.Fatal(err)
		}
	}
	reportMS(b, "ms/class")
}

// BenchmarkLSUExportCollege is a 600-student collège (20 divisions of 30,
// 3 terms, 12 subjects): one file, and one file per division.
func BenchmarkLSUExportCollege(b *testing.B) {
	requireXmllint(b)
	xsdDir := sharedref.Path(b, "lsu")
	in := collegeScale(20, 30)
	ctx := context.Background()
	b.Run("one-file", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "lsu.xml")
		for b.Loop() {
			if _, err := Export(ctx, in, xsdDir, out); err != nil {
				b.Fatal(err)
			}
		}
		reportMS(b, "ms/college")
		if st, err := os.Stat(out); err == nil {
			b.ReportMetric(float64(st.Size())/(1<<20), "MiB/file")
		}
	})
	b.Run("split-by-division", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			plan, _ := Collect(in)
			for i, part := range Split(plan, ByDivision) {
				if err := ExportPlan(ctx, part, xsdDir, filepath.Join(dir, fmt.Sprintf("part%02d.xml", i))); err != nil {
					b.Fatal(err)
				}
			}
		}
		reportMS(b, "ms/college")
	})
}

// BenchmarkLSUValidateClass is the built-in rules on one class's file (30
// students, 3 terms, 12 subjects), beside its raw limits measured in the
// same run on the same bytes: encoding/xml reading every token, and xmllint
// alone (a process reading the file and the official XSD).
func BenchmarkLSUValidateClass(b *testing.B) {
	plan, _ := Collect(collegeScale(1, 30))
	var buf bytes.Buffer
	if err := Generate(&buf, plan); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	path := filepath.Join(b.TempDir(), "class.xml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	lint := haveXmllint(b)
	ctx := context.Background()
	var rules, decode, xmllint time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := ValidateRules(plan.Target, data); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		dec := xml.NewDecoder(bytes.NewReader(data))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		rules += t1.Sub(t0)
		decode += t2.Sub(t1)
		if lint {
			if err := Validate(ctx, schema(b, SecondDegree, Version10), path); err != nil {
				b.Fatal(err)
			}
			xmllint += time.Since(t2)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(rules.Microseconds())/1000/n, "rules-ms")
	b.ReportMetric(float64(decode.Microseconds())/1000/n, "xml-decode-ms")
	b.ReportMetric(rules.Seconds()/decode.Seconds(), "ratio-to-decode")
	if lint {
		b.ReportMetric(float64(xmllint.Microseconds())/1000/n, "xmllint-alone-ms")
		b.ReportMetric(rules.Seconds()/xmllint.Seconds(), "ratio-to-xmllint")
	}
	b.ReportMetric(float64(len(data))/1024, "KiB/file")
}
