package lsu

import (
	"bytes"
	"strings"
	"testing"
)

// withFamily adds to a class the blocks of family.go: class-level
// school-life comments, devoirs faits, the socle of a term and legal
// guardians with their addresses.
func withFamily(in *Input) *Input {
	guardians := [][]Guardian{
		{
			{Civility: "MME", LastName: "ARNAUD", FirstName: "Sylvie", Relation: "10", Rank: 1,
				Address: &Address{Lines: [4]string{"12 rue des Lilas", "Bâtiment B"}, PostalCode: "86000", Town: "POITIERS"}},
			{Civility: "M.", LastName: "ARNAUD", FirstName: "Marc", Relation: "20", Rank: 2,
				Address: &Address{Lines: [4]string{"", "3 impasse du Moulin"}, PostalCode: "86180", Town: "BUXEROLLES"}},
		},
		{
			{Civility: "M", LastName: "BERTIN", FirstName: "Karim", Relation: "50", Rank: 1},
			// A legal person: its denomination, no civility nor names.
			{LastName: "AIDE SOCIALE À L'ENFANCE DE LA VIENNE", Denomination: "AIDE SOCIALE À L'ENFANCE DE LA VIENNE", Relation: "51", Rank: 2,
				Address: &Address{Lines: [4]string{"39 place Aristide Briand"}, PostalCode: "86000", Town: "POITIERS"}},
		},
		{{Civility: "MME", LastName: "CHAMPION", FirstName: "Aude", Relation: "TUTRICE & marraine",
			Address: &Address{Lines: [4]string{"Lieu-dit « Les Ormes »"}, PostalCode: "86500", Town: "MONTMORILLON"}}},
	}
	for i := range in.Students {
		if i < len(guardians) {
			in.Students[i].Guardians = guardians[i]
		}
	}
	for i := range in.Periodic {
		r := &in.Periodic[i]
		if in.Target.Degree == SecondDegree && i%2 == 0 {
			r.HomeworkDone = "Participe à devoirs faits deux fois par semaine ; travail sérieux."
		}
		if i%3 == 0 {
			r.Socle = map[string]int{"CPD_FRA": 3, "CPD_SCI": 2, "MET_APP": 4, "REP_MND": 0}
		}
	}
	if in.Target.Degree == SecondDegree {
		in.ClassSchoolLife = []ClassSchoolLife{
			{PeriodID: "t1", Division: "3 A", Comment: "Classe calme & attentive ; quelques retards en début d'année."},
			{PeriodID: "t2", Division: "3 A", Comment: "Bonne dynamique de groupe."},
			{PeriodID: "t1", Division: "4B", Comment: "Classe agréable."},
			{PeriodID: "t3", Division: "4B", Comment: "Aucun bilan au troisième trimestre : non transmis."},
		}
	}
	return in
}

func fullCollegeInput() *Input { return withFamily(collegeInput()) }
func fullEcoleInput() *Input   { return withFamily(ecoleInput()) }

func TestGoldenFamily(t *testing.T) {
	tests := []struct {
		name    string
		in      func() *Input
		degree  Degree
		version string
		file    string
		want    []string // fragments the file must hold
		absent  []string
	}{
		{"collège 10.0", fullCollegeInput, SecondDegree, Version10, "college_full_10.0.xml",
			[]string{"<vies-scolaires-communs>", `code-division="4B"`, "<devoirs-faits>", `<domaine code="REP_MND" positionnement="0"/>`,
				`lien-parente="MERE"`, `ligne1="3 impasse du Moulin"`, `lien-parente="TUTRICE &amp; marraine"`,
				`<responsable civilite="MME" nom="ARNAUD" prenom="Sylvie" legal1="true" lien-parente="MERE">`,
				`<responsable civilite="M" nom="ARNAUD" prenom="Marc" legal2="true" lien-parente="PERE">`,
				`<responsable legal2="true" lien-parente="AIDE SOCIALE A L'ENFANCE" denomination="AIDE SOCIALE À L'ENFANCE DE LA VIENNE">`},
			[]string{"troisième trimestre"}},
		{"collège 7.0", fullCollegeInput, SecondDegree, Version7, "college_full_7.0.xml",
			[]string{"<vies-scolaires-communs>", "<devoirs-faits>", "<responsables>", `legal1="true"`, `denomination="AIDE SOCIALE`}, nil},
		{"école 1.0b", fullEcoleInput, FirstDegree, Version1b, "ecole_full_1.0b.xml",
			[]string{`<domaine code="CPD_ETR"/>`, `<domaine code="CPD_FRA" positionnement="3"/>`, "<responsables>"},
			[]string{"devoirs-faits", "vies-scolaires", "legal1", "legal2", "denomination"}},
		{"école 1.0", fullEcoleInput, FirstDegree, Version1_0, "ecole_full_1.0.xml",
			[]string{"<socle>", "<responsables>"}, []string{"legal1", "denomination"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			in.Target.Version = tt.version
			got, rep := generate(t, in)
			golden(t, tt.file, got)
			var csv bytes.Buffer
			if err := rep.WriteCSV(&csv); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(tt.file, ".xml")+".report.csv", csv.Bytes())
			for _, w := range tt.want {
				if !bytes.Contains(got, []byte(w)) {
					t.Errorf("the file lacks %s", w)
				}
			}
			for _, w := range tt.absent {
				if bytes.Contains(got, []byte(w)) {
					t.Errorf("the file holds %s", w)
				}
			}
			if err := ValidateRules(Target{Degree: tt.degree, Version: tt.version}, got); err != nil {
				t.Errorf("the Go validator refuses the file: %v", err)
			}
			requireXmllint(t)
			if err := validFile(t, schema(t, tt.degree, tt.version), got); err != nil {
				t.Errorf("generated file is not valid against the official %s XSD: %v", tt.version, err)
			}
		})
	}
}

func TestFamilyChecks(t *testing.T) {
	college, ecole := fullCollegeInput, fullEcoleInput
	tests := []checkCase{
		{name: "devoirs faits truncated", in: college, mutate: func(in *Input) { in.Periodic[0].HomeworkDone = long(700) },
			kind: Fixed, student: lea, msg: "devoirs faits tronqué à 600", check: contains("<devoirs-faits>" + long(600) + "</devoirs-faits>")},
		{name: "devoirs faits in 1D", in: ecole, mutate: func(in *Input) { in.Periodic[0].HomeworkDone = "Oui" },
			kind: Ignored, student: "AUBRY Jade", msg: "devoirs faits non transmis"},
		{name: "socle of the term out of range", in: college, mutate: func(in *Input) { in.Periodic[0].Socle = map[string]int{"CPD_FRA": 7} },
			kind: Blocking, student: lea, msg: "CPD_FRA (7)", check: notExported("s1", "t1")},
		{name: "socle of the term: unknown domain", in: college, mutate: func(in *Input) { in.Periodic[0].Socle = map[string]int{"XYZ": 2, "SYS_NAT": 1} },
			kind: Ignored, student: lea, msg: "domaines du socle inconnus", check: contains(`<domaine code="SYS_NAT" positionnement="1"/>`)},
		{name: "guardian without a name", in: college, mutate: func(in *Input) { in.Students[1].Guardians[0].LastName = " " },
			kind: Ignored, student: "BERTIN Hugo", msg: "responsable légal sans nom"},
		{name: "guardian without first name (1D)", in: ecole, mutate: func(in *Input) { in.Students[0].Guardians[0].FirstName = "" },
			kind: Ignored, student: "AUBRY Jade", msg: "obligatoires au 1er degré"},
		{name: "legal person in 1D", in: ecole, mutate: func(in *Input) {
			in.Students[1].Guardians = []Guardian{{Denomination: "ASE DE LA VIENNE", Rank: 1}}
		}, kind: Ignored, student: "BLANC Malo", msg: "(personne morale) non transmis", check: func(t *testing.T, _ *Plan, xml string) {
			if strings.Contains(xml, "ASE DE LA VIENNE") {
				t.Error("the legal person is written in a 1st degree file")
			}
		}},
		{name: "legal person's denomination truncated", in: college, mutate: func(in *Input) {
			in.Students[1].Guardians[1].Denomination = long(650)
		}, kind: Fixed, student: "BERTIN Hugo", msg: "dénomination tronqué à 600", check: contains(`denomination="` + long(600) + `"`)},
		{name: "address without postal code", in: college, mutate: func(in *Input) { in.Students[0].Guardians[0].Address.PostalCode = "" },
			kind: Ignored, student: lea, msg: "adresse incomplète"},
		{name: "address without a line (1D)", in: ecole, mutate: func(in *Input) { in.Students[2].Guardians[0].Address.Lines = [4]string{} },
			kind: Ignored, student: "COLIN Zoé", msg: "adresse incomplète"},
		{name: "address line truncated", in: college, mutate: func(in *Input) { in.Students[0].Guardians[0].Address.Lines[0] = long(60) },
			kind: Fixed, student: lea, msg: "ligne d'adresse tronqué à 50", check: contains(`ligne1="` + long(50) + `"`)},
		{name: "class comment truncated", in: college, mutate: func(in *Input) { in.ClassSchoolLife[0].Comment = long(650) },
			kind: Fixed, msg: "commentaire de vie scolaire de la classe tronqué", check: contains("<commentaire>" + long(600) + "</commentaire>")},
		{name: "class comment twice", in: college, mutate: func(in *Input) {
			in.ClassSchoolLife = append(in.ClassSchoolLife, ClassSchoolLife{PeriodID: "t1", Division: "3 A", Comment: "Doublon"})
		}, kind: Ignored, msg: "second commentaire", check: func(t *testing.T, _ *Plan, xml string) {
			if strings.Contains(xml, "Doublon") {
				t.Error("the second comment is written")
			}
		}},
		{name: "class comment in 1D", in: ecole, mutate: func(in *Input) {
			in.ClassSchoolLife = []ClassSchoolLife{{PeriodID: "s1", Comment: "Classe calme"}}
		}, kind: Ignored, msg: "le 1er degré ne le prévoit pas"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			tt.mutate(in)
			plan, rep := Collect(in)
			l, ok := findLine(rep, tt.kind, tt.student, tt.msg)
			if !ok {
				t.Fatalf("no %s line for %q containing %q; lines:\n%s", tt.kind, tt.student, tt.msg, dump(rep))
			}
			if tt.kind == Blocking && (l.Place != PlaceReport || l.StudentRef == "" || l.PeriodRef == "") {
				t.Errorf("a blocking line that leads nowhere: %+v", l)
			}
			if plan == nil {
				t.Fatalf("no plan; lines:\n%s", dump(rep))
			}
			var buf bytes.Buffer
			if err := Generate(&buf, plan); err != nil {
				t.Fatalf("Generate: %v", err)
			}
			if tt.check != nil {
				tt.check(t, plan, buf.String())
			}
			if err := ValidateRules(plan.Target, buf.Bytes()); err != nil {
				t.Errorf("the Go validator refuses the file: %v", err)
			}
			if haveXmllint(t) {
				if err := validFile(t, schema(t, plan.Target.Degree, plan.Target.Version), buf.Bytes()); err != nil {
					t.Errorf("the file is invalid: %v", err)
				}
			}
		})
	}
}

// Two guardians given the same rank (a link entered by hand): the first
// keeps it, the second is written without legal1/legal2; a rank LSU does
// not know is not written either.
func TestGuardianRanks(t *testing.T) {
	in := fullCollegeInput()
	in.Students[0].Guardians[1].Rank = 1
	in.Students[2].Guardians[0].Rank = 3
	got, _ := generate(t, in)
	xml := string(got)
	if !strings.Contains(xml, `prenom="Sylvie" legal1="true"`) || strings.Contains(xml, `prenom="Marc" legal`) || strings.Contains(xml, `prenom="Aude" legal`) {
		t.Errorf("ranks written:\n%s", xml)
	}
	if err := ValidateRules(in.Target, got); err != nil {
		t.Errorf("the Go validator refuses the file: %v", err)
	}
}

// A split by division keeps each division's class comments only.
func TestSplitClassSchoolLife(t *testing.T) {
	plan, _ := Collect(fullCollegeInput())
	parts := Split(plan, ByDivision)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	for _, p := range parts {
		var buf bytes.Buffer
		if err := Generate(&buf, p); err != nil {
			t.Fatal(err)
		}
		other := `code-division="4B"`
		if strings.Contains(p.Part, "4B") {
			other = `code-division="3 A"`
		}
		if n := strings.Count(buf.String(), "<vie-scolaire-commun "); n == 0 || strings.Contains(buf.String(), other) {
			t.Errorf("%s: %d class comments, or the other division's", p.Part, n)
		}
	}
}

// The built-in validator knows the guardians' attributes of each schema:
// legal1/legal2 are booleans and denomination a Chaine600 in the 2nd
// degree, none of them exists in the 1st; xmllint says the same.
func TestValidatorGuardianAttributes(t *testing.T) {
	tests := []struct {
		name    string
		in      func() *Input
		version string
		old     string // a fragment of the generated file
		new     string // what replaces it
		valid   bool
	}{
		{"10.0 legal1 true", fullCollegeInput, Version10, `legal1="true"`, `legal1="1"`, true},
		{"10.0 legal1 not a boolean", fullCollegeInput, Version10, `legal1="true"`, `legal1="oui"`, false},
		{"7.0 legal2 not a boolean", fullCollegeInput, Version7, `legal2="true"`, `legal2="2"`, false},
		{"10.0 denomination empty", fullCollegeInput, Version10, `denomination="AIDE SOCIALE À L'ENFANCE DE LA VIENNE"`, `denomination=""`, false},
		{"10.0 denomination of 601", fullCollegeInput, Version10, `denomination="AIDE SOCIALE À L'ENFANCE DE LA VIENNE"`, `denomination="` + long(601) + `"`, false},
		{"1.0b legal1", fullEcoleInput, Version1b, `lien-parente="MERE"`, `legal1="true" lien-parente="MERE"`, false},
		{"1.0 denomination", fullEcoleInput, Version1_0, `lien-parente="MERE"`, `denomination="ASE" lien-parente="MERE"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in()
			in.Target.Version = tt.version
			got, _ := generate(t, in)
			if !bytes.Contains(got, []byte(tt.old)) {
				t.Fatalf("the generated file lacks %s", tt.old)
			}
			mutated := bytes.Replace(got, []byte(tt.old), []byte(tt.new), 1)
			target := Target{Degree: in.Target.Degree, Version: tt.version}
			if err := ValidateRules(target, mutated); (err == nil) != tt.valid {
				t.Errorf("built-in validator: %v, want valid=%v", err, tt.valid)
			}
			if haveXmllint(t) {
				if err := validFile(t, schema(t, target.Degree, tt.version), mutated); (err == nil) != tt.valid {
					t.Errorf("xmllint: %v, want valid=%v", err, tt.valid)
				}
			}
		})
	}
}
