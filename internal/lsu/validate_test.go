package lsu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/sharedref"
)

// TestSamplesValidate proves the wiring with the peers' public samples:
// each is valid against the versions it targets and refused by 10.0.
func TestSamplesValidate(t *testing.T) {
	requireXmllint(t)
	v3b := sharedref.Path(t, "lsu", "2d", "v3.0b_2017-04_sacoche", "livret-scolaire_2d_schema_3.0b.xsd")
	v7 := schema(t, SecondDegree, Version7)
	v10 := schema(t, SecondDegree, Version10)
	s2016 := sharedref.Path(t, "lsu", "2d", "samples", "2016-11_gepi", "sample-bilan-complet.xml")
	s2020 := sharedref.Path(t, "lsu", "2d", "samples", "2020-02_gepi", "sample-bilan-complet.xml")
	tests := []struct {
		name, xsd, xml string
		valid          bool
		msg            string // part of a message when invalid
	}{
		{"2016-11 against 3.0b", v3b, s2016, true, ""},
		{"2016-11 against 7.0", v7, s2016, true, ""},
		{"2016-11 against 10.0", v10, s2016, false, "date-verrou"},
		{"2020-02 against 7.0", v7, s2020, true, ""},
		{"2020-02 against 3.0b", v3b, s2020, false, "competences-numeriques-communs"},
		{"2020-02 against 10.0", v10, s2020, false, "MoyenneNumerique"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(context.Background(), tt.xsd, tt.xml)
			if tt.valid {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if sillage.KindOf(err) != sillage.KindInvalid {
				t.Errorf("kind = %v, want invalid", sillage.KindOf(err))
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
			if len(verr.Messages) > maxMessages+1 {
				t.Errorf("%d messages, want at most %d", len(verr.Messages), maxMessages+1)
			}
			if !strings.HasPrefix(verr.Messages[0], "ligne ") {
				t.Errorf("first message %q does not start with the line", verr.Messages[0])
			}
		})
	}
}

// TestVersionsDiffer shows that the version setting changes the file: each
// is valid against its own XSD only.
func TestVersionsDiffer(t *testing.T) {
	in10, in7 := collegeInput(), collegeInput()
	in7.Target.Version = Version7
	f10, _ := generate(t, in10)
	f7, _ := generate(t, in7)
	if bytes.Equal(f10, f7) {
		t.Fatal("10.0 and 7.0 files are identical")
	}
	for _, want := range []struct {
		file        []byte
		has, hasNot string
	}{
		{f10, `moyenne-eleve="17.50"`, "date-verrou"},
		{f10, `statut-evaluation-eleve="3"`, "eleve-non-note"},
		{f7, `moyenne-eleve="17.5/20"`, "statut-evaluation"},
		{f7, `date-verrou="2025-11-28T18:30:00"`, `schemaVersion="10.0"`},
		{f7, `eleve-non-note="true"`, `moyenne-eleve="17.50"`},
	} {
		if !bytes.Contains(want.file, []byte(want.has)) || bytes.Contains(want.file, []byte(want.hasNot)) {
			t.Errorf("file should hold %q and not %q", want.has, want.hasNot)
		}
	}
	requireXmllint(t)
	v10, v7 := schema(t, SecondDegree, Version10), schema(t, SecondDegree, Version7)
	if err := validFile(t, v10, f10); err != nil {
		t.Errorf("10.0 file against 10.0: %v", err)
	}
	if err := validFile(t, v7, f7); err != nil {
		t.Errorf("7.0 file against 7.0: %v", err)
	}
	if err := validFile(t, v7, f10); err == nil {
		t.Error("the 10.0 file is valid against 7.0")
	}
	if err := validFile(t, v10, f7); err == nil {
		t.Error("the 7.0 file is valid against 10.0")
	}
}

// fakeLayout builds an XSD directory whose 10.0 folder holds the 7.0 schema
// (a link to the reference file, read in place): every 10.0 file fails it.
func fakeLayout(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sub := filepath.Join(dir, "2d", "v10.0_2099-01_wrong")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(schema(t, SecondDegree, Version7), filepath.Join(sub, "import-complet-strict.xsd")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestExportWithoutSchemas: with no XSD folder (and no xmllint needed) the
// built-in rules validate the file, which is offered; a file they refuse is
// not.
func TestExportWithoutSchemas(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		in   func() *Input
	}{{"college", collegeInput}, {"ecole", ecoleInput}} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			out := filepath.Join(t.TempDir(), "lsu.xml")
			if _, err := Export(ctx, in, "", out); err != nil {
				t.Fatalf("Export without schemas: %v", err)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := ValidateRules(in.Target, data); err != nil {
				t.Errorf("the offered file: %v", err)
			}
			broken := bytes.Replace(data, []byte("</entete>"), []byte("</entete><entete/>"), 1)
			err = ValidateRules(in.Target, broken)
			var verr *ValidationError
			if sillage.KindOf(err) != sillage.KindInvalid || !errors.As(err, &verr) || !strings.Contains(verr.Messages[0], "« entete » inattendu") {
				t.Errorf("a second entete: %v", err)
			}
		})
	}
}

func TestExport(t *testing.T) {
	requireXmllint(t)
	xsdDir := sharedref.Path(t, "lsu")
	ctx := context.Background()

	t.Run("valid file offered", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "lsu-3A.xml")
		rep, err := Export(ctx, collegeInput(), xsdDir, out)
		if err != nil {
			t.Fatalf("Export: %v", err)
		}
		if rep.Counts.PeriodicReports != 8 {
			t.Errorf("report counts %+v", rep.Counts)
		}
		if err := Validate(ctx, schema(t, SecondDegree, Version10), out); err != nil {
			t.Errorf("exported file: %v", err)
		}
		if names := dirEntries(t, filepath.Dir(out)); !reflect.DeepEqual(names, []string{"lsu-3A.xml"}) {
			t.Errorf("directory holds %v, want only the file", names)
		}
	})
	t.Run("1st degree", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "lsu-ecole.xml")
		if _, err := Export(ctx, ecoleInput(), xsdDir, out); err != nil {
			t.Fatalf("Export: %v", err)
		}
		if err := Validate(ctx, schema(t, FirstDegree, Version1b), out); err != nil {
			t.Errorf("exported file: %v", err)
		}
	})
	t.Run("invalid file never offered", func(t *testing.T) {
		dir := t.TempDir()
		out := filepath.Join(dir, "lsu.xml")
		rep, err := Export(ctx, collegeInput(), fakeLayout(t), out)
		if err == nil {
			t.Fatal("Export accepted a file its schema refuses")
		}
		var verr *ValidationError
		if !errors.As(err, &verr) || !strings.Contains(err.Error(), "schemaVersion") {
			t.Errorf("error %v does not carry the validator's messages", err)
		}
		if !strings.Contains(sillage.Message(err), "n'est pas proposé") {
			t.Errorf("message %q does not say the file is withheld", sillage.Message(err))
		}
		if rep == nil || rep.FileBlocked {
			t.Error("the report is missing or blocked")
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Errorf("files left behind: %v", names)
		}
	})
	t.Run("blocked export writes nothing", func(t *testing.T) {
		dir := t.TempDir()
		in := collegeInput()
		in.Establishment.Heads = nil
		rep, err := Export(ctx, in, xsdDir, filepath.Join(dir, "lsu.xml"))
		if err == nil || !strings.Contains(err.Error(), "aucun chef d'établissement") {
			t.Fatalf("Export = %v, want the blocking reason", err)
		}
		if !rep.FileBlocked {
			t.Error("report not blocked")
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Errorf("files written: %v", names)
		}
	})
	t.Run("INE masked in the validator's messages", func(t *testing.T) {
		// A hand-made plan with one INE twice: both validators quote the
		// duplicate key, the error must not.
		plan, _ := Collect(ecoleInput())
		plan.Students[1].INE = plan.Students[0].INE
		dir := t.TempDir()
		err := ExportPlan(ctx, plan, xsdDir, filepath.Join(dir, "lsu.xml"))
		if err == nil || !strings.Contains(err.Error(), "en double") {
			t.Fatalf("ExportPlan = %v, want the duplicate INE refused by the built-in rules", err)
		}
		if strings.Contains(err.Error(), plan.Students[0].INE.Value()) {
			t.Errorf("the error holds the INE: %v", err)
		}
		if !strings.Contains(err.Error(), "[INE masqué]") {
			t.Errorf("the error does not show the mask: %v", err)
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Errorf("files left behind: %v", names)
		}
		// The same file through xmllint.
		path := filepath.Join(dir, "same.xml")
		var buf bytes.Buffer
		if err := Generate(&buf, plan); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		xsd, _ := SchemaFile(xsdDir, plan.Target.Degree, plan.Target.Version)
		err = validate(ctx, xsd, path, nil, []string{plan.Students[0].INE.Value()})
		if err == nil || !strings.Contains(err.Error(), "Duplicate key-sequence") {
			t.Fatalf("xmllint: %v, want the duplicate INE refused", err)
		}
		if strings.Contains(err.Error(), plan.Students[0].INE.Value()) || !strings.Contains(err.Error(), "[INE masqué]") {
			t.Errorf("xmllint's error is not masked: %v", err)
		}
	})
	t.Run("split parts", func(t *testing.T) {
		plan, _ := Collect(collegeInput())
		dir := t.TempDir()
		for i, part := range Split(plan, ByDivision) {
			out := filepath.Join(dir, "part"+string(rune('0'+i))+".xml")
			if err := ExportPlan(ctx, part, xsdDir, out); err != nil {
				t.Fatalf("%s: %v", part.Part, err)
			}
		}
		if names := dirEntries(t, dir); len(names) != 2 {
			t.Errorf("parts written: %v", names)
		}
	})
}

func TestValidateWithoutXmllint(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Validate(context.Background(), "schema.xsd", "file.xml")
	if sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(err.Error(), "libxml2-utils") {
		t.Fatalf("Validate = %v, want an unavailable error naming libxml2-utils", err)
	}
}

func TestMessagesMaskINE(t *testing.T) {
	out := "/tmp/x.xml:12: element eleve: Schemas validity error : Element '{urn:fr:edu:scolarite:lsun:bilans:import}eleve', attribute 'ine': [facet 'length'] The value '999000001HA' is not valid.\n" +
		"/tmp/x.xml:13: element eleve: Schemas validity error : Duplicate key-sequence ['2019A12345K'] in unique identity-constraint.\n" +
		"/tmp/x.xml:14: element eleve: Schemas validity error : value 'ABCDEFGHIJK' and '12345678901' are not INEs.\n" +
		"/tmp/x.xml fails to validate\n"
	msgs := messages([]byte(out), "/tmp/x.xml", "s.xsd", []string{"SECRETVALUE"})
	joined := strings.Join(msgs, "\n")
	for _, ine := range []string{"999000001HA", "2019A12345K"} {
		if strings.Contains(joined, ine) {
			t.Errorf("message holds INE %s: %s", ine, joined)
		}
	}
	for _, keep := range []string{"ligne 12 :", "ABCDEFGHIJK", "12345678901", "attribute 'ine'", "Element 'eleve'"} {
		if !strings.Contains(joined, keep) {
			t.Errorf("messages lost %q: %s", keep, joined)
		}
	}
	if len(msgs) != 3 {
		t.Errorf("%d messages, want 3: %q", len(msgs), msgs)
	}
	secret := messages([]byte("/tmp/x.xml:1: value SECRETVALUE refused\n"), "/tmp/x.xml", "s.xsd", []string{"SECRETVALUE"})
	if strings.Contains(secret[0], "SECRETVALUE") {
		t.Errorf("secret not masked: %q", secret)
	}
}

func TestSchemaFile(t *testing.T) {
	dir := sharedref.Path(t, "lsu")
	tests := []struct {
		degree  Degree
		version string
		want    string // folder of the XSD
	}{
		{SecondDegree, "", "v10.0_2025-08_openent"},
		{SecondDegree, Version10, "v10.0_2025-08_openent"},
		{SecondDegree, Version7, "v7.0_2023-12_openent"},
		{FirstDegree, "", "v1.0b_2017-04_sacoche"},
		{FirstDegree, Version1b, "v1.0b_2017-04_sacoche"},
		{FirstDegree, Version1_0, "v1.0_2017-02_sacoche"},
	}
	for _, tt := range tests {
		got, err := SchemaFile(dir, tt.degree, tt.version)
		if err != nil {
			t.Errorf("SchemaFile(%s, %q): %v", tt.degree, tt.version, err)
			continue
		}
		if filepath.Base(filepath.Dir(got)) != tt.want || filepath.Ext(got) != ".xsd" {
			t.Errorf("SchemaFile(%s, %q) = %s, want a file in %s", tt.degree, tt.version, got, tt.want)
		}
	}
	for _, bad := range []struct {
		degree  Degree
		version string
		dir     string
		msg     string
	}{
		{SecondDegree, "3.0", dir, "non prise en charge"},
		{"3D", "", dir, "degré"},
		{SecondDegree, Version10, t.TempDir(), "introuvable"},
	} {
		if _, err := SchemaFile(bad.dir, bad.degree, bad.version); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("SchemaFile(%s, %q) = %v, want an error with %q", bad.degree, bad.version, err, bad.msg)
		}
	}
	// Two folders of one version: the newest date wins.
	layout := t.TempDir()
	for _, sub := range []string{"v10.0_2025-08_a", "v10.0_2026-02_b"} {
		p := filepath.Join(layout, "2d", sub)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "x.xsd"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := SchemaFile(layout, SecondDegree, Version10)
	if err != nil || filepath.Base(filepath.Dir(got)) != "v10.0_2026-02_b" {
		t.Errorf("SchemaFile = %s, %v; want the 2026-02 folder", got, err)
	}
}

func TestSplit(t *testing.T) {
	plan, _ := Collect(collegeInput())
	tests := []struct {
		name  string
		plan  *Plan
		by    SplitBy
		parts []string
		sizes []int
	}{
		{"by division", plan, ByDivision, []string{"division 3 A", "division 4B"}, []int{3, 1}},
		{"by level", plan, ByLevel, []string{"niveau 3", "niveau 4"}, []int{3, 1}},
	}
	ecole, _ := Collect(ecoleInput())
	tests = append(tests,
		struct {
			name  string
			plan  *Plan
			by    SplitBy
			parts []string
			sizes []int
		}{"1D by class", ecole, ByDivision, []string{"classe CE2 Les Tilleuls", "classe CE1-CE2"}, []int{2, 1}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parts := Split(tt.plan, tt.by)
			var names []string
			var sizes []int
			total := 0
			for _, p := range parts {
				names = append(names, p.Part)
				sizes = append(sizes, len(p.Students))
				total += len(p.Periodic) + len(p.Cycles)
				var buf bytes.Buffer
				if err := Generate(&buf, p); err != nil {
					t.Fatalf("%s: %v", p.Part, err)
				}
				if err := CheckReferences(&buf); err != nil {
					t.Fatalf("%s: %v", p.Part, err)
				}
			}
			if !reflect.DeepEqual(names, tt.parts) || !reflect.DeepEqual(sizes, tt.sizes) {
				t.Errorf("parts %v of sizes %v, want %v of %v", names, sizes, tt.parts, tt.sizes)
			}
			if want := len(tt.plan.Periodic) + len(tt.plan.Cycles); total != want {
				t.Errorf("parts hold %d reports, the plan %d", total, want)
			}
		})
	}
	if Split(nil, ByLevel) != nil {
		t.Error("Split(nil) is not nil")
	}
}

func TestWriteCSV(t *testing.T) {
	rep := &Report{}
	rep.add(Line{Kind: Fixed, Student: "=HYPERLINK(\"x\")", Division: "3 A", Period: "Trimestre 1/3 2025-2026", Subject: "Français",
		Message: "appréciation tronquée ; voir", Before: "+long", After: "-"})
	rep.add(Line{Kind: Blocking, Message: "aucun chef d'établissement", Fix: "renseignez le chef d'établissement", Link: "/comptes"})
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffType;Élève;Division;Période;Matière;Message;Valeur d'origine;Valeur écrite;À faire;Page\r\n" +
		"Corrigé;\"'=HYPERLINK(\"\"x\"\")\";3 A;Trimestre 1/3 2025-2026;Français;\"appréciation tronquée ; voir\";'+long;-;;\r\n" +
		"Bloquant;;;;;aucun chef d'établissement;;;renseignez le chef d'établissement;/comptes\r\n"
	if buf.String() != want {
		t.Errorf("CSV =\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestReportJSON(t *testing.T) {
	_, rep := Collect(collegeInput())
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("JSON round trip changed the report:\n%s", js)
	}
	if !strings.Contains(string(js), `"kind":"warning"`) || !strings.Contains(string(js), `"students_exported":4`) {
		t.Errorf("unexpected JSON: %s", js)
	}
}

func TestCheckReferences(t *testing.T) {
	const head = `<lsun-bilans xmlns="urn:fr:edu:scolarite:lsun:bilans:import" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="x y">`
	tests := []struct {
		name, xml, msg string
	}{
		{"valid", head + `<eleve id="EL_1"/><b eleve-ref="EL_1" enseignant-refs="EL_1 EL_1"><synthese>ok</synthese></b></lsun-bilans>`, ""},
		{"duplicate id", head + `<eleve id="EL_1"/><eleve id="EL_1"/></lsun-bilans>`, "déclaré deux fois"},
		{"dangling ref", head + `<eleve id="EL_1"/><b eleve-ref="EL_2"/></lsun-bilans>`, "EL_2"},
		{"dangling refs", head + `<eleve id="EL_1"/><b prof-princ-refs="EL_1 ENS_9"/></lsun-bilans>`, "ENS_9"},
		{"empty refs", head + `<eleve id="EL_1"/><b prof-princ-refs=" "/></lsun-bilans>`, "vide"},
		{"blank text", head + `<eleve id="EL_1"/><synthese> </synthese></lsun-bilans>`, "élément synthese vide"},
		{"malformed", head + `<eleve id="EL_1">`, "mal formé"},
		{"no id", head + `</lsun-bilans>`, "aucun identifiant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReferences(strings.NewReader(tt.xml))
			if tt.msg == "" {
				if err != nil {
					t.Fatalf("CheckReferences: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CheckReferences = %v, want an error with %q", err, tt.msg)
			}
		})
	}
}

// TestGenerateRefusesBadPlans feeds Generate plans Collect would never
// build: it must refuse them rather than write an invalid file.
func TestGenerateRefusesBadPlans(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Plan)
	}{
		{"unknown subject", func(p *Plan) { p.Periodic[0].Subjects[0].SubjectID = "nope" }},
		{"unknown teacher", func(p *Plan) { p.Periodic[0].HeadTeacherIDs = []string{"nope"} }},
		{"unknown head", func(p *Plan) { p.Periodic[0].HeadID = "nope" }},
		{"average 25", func(p *Plan) { p.Periodic[0].Subjects[0].Average = mark(25) }},
		{"positioning 7", func(p *Plan) { p.Periodic[0].Subjects[0].Positioning = 7 }},
		{"no teacher", func(p *Plan) { p.Periodic[0].Subjects[0].TeacherIDs = nil }},
		{"no subject", func(p *Plan) { p.Periodic[0].Subjects = nil }},
		{"socle incomplete", func(p *Plan) { delete(p.Cycles[0].Socle, "CPD_FRA") }},
		{"no council date", func(p *Plan) { p.Periodic[0].CouncilDate = p.Periodic[0].CouncilDate.AddDate(-5000, 0, 0) }},
		{"bad UAI", func(p *Plan) { p.UAI = "123" }},
		{"unknown support", func(p *Plan) { p.Periodic[0].Support = []SupportMeasure{{Code: "XYZ"}} }},
		{"student without report", func(p *Plan) { p.Students = append(p.Students, Student{ID: "lonely"}) }},
		{"student twice", func(p *Plan) { p.Students = append(p.Students, p.Students[0]) }},
		{"empty", func(p *Plan) { p.Periodic, p.Cycles = nil, nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, _ := Collect(collegeInput())
			tt.mutate(plan)
			if err := Generate(&bytes.Buffer{}, plan); err == nil {
				t.Fatal("Generate accepted the plan")
			}
		})
	}
}

func TestLimitsAndVersions(t *testing.T) {
	tests := []struct {
		target       Target
		appreciation int
		general      int
	}{
		{Target{SecondDegree, ""}, 1000, 1000},
		{Target{SecondDegree, Version10}, 1000, 1000},
		{Target{SecondDegree, Version7}, 600, 1000},
		{Target{FirstDegree, ""}, 600, 1500},
		{Target{FirstDegree, Version1_0}, 600, 1500},
	}
	for _, tt := range tests {
		l, err := LimitsFor(tt.target)
		if err != nil || l.Appreciation != tt.appreciation || l.GeneralAppreciation != tt.general || l.Synthesis != 1500 {
			t.Errorf("LimitsFor(%+v) = %+v, %v", tt.target, l, err)
		}
	}
	if _, err := LimitsFor(Target{SecondDegree, "13.0"}); err == nil {
		t.Error("LimitsFor accepted 13.0")
	}
	if got := Versions(SecondDegree); !reflect.DeepEqual(got, []string{Version10, Version7}) {
		t.Errorf("Versions(2D) = %v", got)
	}
	if got := Versions(FirstDegree); !reflect.DeepEqual(got, []string{Version1b, Version1_0}) {
		t.Errorf("Versions(1D) = %v", got)
	}
}

// TestWriterChecksReferences exercises the safety net of the XML writer,
// which Collect's plans never reach.
func TestWriterChecksReferences(t *testing.T) {
	newX := func() *xw { return &xw{w: bufio.NewWriter(io.Discard), ids: map[string]bool{}} }
	x := newX()
	x.empty("eleve", a("id", "EL_1"))
	x.empty("eleve", a("id", "EL_1"))
	if x.invalid == nil || !strings.Contains(x.invalid.Error(), "deux fois") {
		t.Errorf("duplicate id not caught: %v", x.invalid)
	}
	x = newX()
	x.empty("eleve", a("id", "EL_1"))
	x.empty("bilan", a("eleve-ref", "EL_1"), a("prof-princ-refs", "ENS_1 EL_1"))
	if err := x.checkRefs(); err == nil || !strings.Contains(err.Error(), "ENS_1") {
		t.Errorf("dangling reference not caught: %v", err)
	}
	x = newX()
	x.empty("bilan", a("prof-princ-refs", " "))
	if x.invalid == nil {
		t.Error("empty reference list not caught")
	}
}
