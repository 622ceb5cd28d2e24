package passport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/ident"
	"github.com/sillage/sillage/internal/passport"
	"github.com/sillage/sillage/internal/records"
	"github.com/sillage/sillage/internal/signedzip"
	"github.com/sillage/sillage/internal/signing"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

const uai = sillage.UAI("0860012W")

// pdfOf returns a well-formed PDF of about size bytes whose content does
// not compress (so the ZIP holds it at full size).
func pdfOf(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 0, size)
	b = append(b, "%PDF-1.4\n% "...)
	for len(b) < size-8 {
		b = append(b, byte('a'+r.IntN(26)))
	}
	return append(b, "\n%%EOF\n"...)
}

type built struct {
	student sillage.Student
	blobs   blob.Store
	files   map[string][]byte // sha256 -> content
	results int
}

// build stores a student with nEval evaluations of resultsPer results,
// nSheets sheets with filesPer files each of fileSize bytes.
func build(tb testing.TB, st *store.Store, blobsDir string, nEval, resultsPer, nSheets, filesPer, fileSize int) *built {
	tb.Helper()
	ctx := context.Background()
	blobs, err := blob.Open(blobsDir, 64<<20)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { blobs.Close() })
	out := &built{blobs: blobs, files: map[string][]byte{}}
	err = st.Write(ctx, func(tx *store.Tx) error {
		if err := tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: uai, Name: "Lycée des métiers Édouard-Branly", Kind: sillage.KindLP}); err != nil {
			return err
		}
		ref := sillage.Referential{Diploma: "24732205", Kind: sillage.ReferentialBacPro, Label: "Bac pro Systèmes numériques"}
		for i := 0; i < resultsPer; i++ {
			ref.Competences = append(ref.Competences, sillage.Competence{Domain: fmt.Sprintf("Domaine %d", i/4+1), Code: fmt.Sprintf("C%d", i+1), Label: fmt.Sprintf("Compétence n° %d : œuvrer", i+1)})
		}
		if err := tx.Records().CreateReferential(ctx, uai, &ref); err != nil {
			return err
		}
		d := sillage.Division{SchoolYear: 2025, Code: "1SN"}
		if err := tx.People().CreateDivision(ctx, uai, &d); err != nil {
			return err
		}
		teacher := sillage.Person{Role: sillage.RoleTeacher, LastName: "Martin", FirstName: "Anne", STSID: "STS-SECRET", Source: sillage.SourceSTS}
		if err := tx.People().CreatePerson(ctx, uai, &teacher); err != nil {
			return err
		}
		out.student = sillage.Student{Person: sillage.Person{LastName: "Durand", FirstName: "Léa", SIECLEID: "ELEVE-SECRET", Source: sillage.SourceSIECLE,
			BirthDate: sillage.NewDate(2009, 3, 14)}, Diploma: "24732205", DivisionID: d.ID}
		if err := tx.People().CreateStudent(ctx, uai, &out.student); err != nil {
			return err
		}
		var rs []sillage.Result
		for e := 0; e < nEval; e++ {
			ev := sillage.Evaluation{Title: fmt.Sprintf("Évaluation %d", e+1), Date: sillage.NewDate(2025, 9, 8+e%20), Diploma: ref.Diploma,
				ReferentialID: ref.ID, AuthorID: teacher.ID, DivisionID: d.ID, Level: "Première professionnelle"}
			if err := tx.Records().CreateEvaluation(ctx, uai, &ev); err != nil {
				return err
			}
			for c := 0; c < resultsPer; c++ {
				rs = append(rs, sillage.Result{EvaluationID: ev.ID, StudentID: out.student.ID, CompetenceID: ref.Competences[c].ID, Value: fmt.Sprint(1 + (e+c)%4)})
			}
			if err := tx.Records().SetComment(ctx, uai, sillage.Comment{EvaluationID: ev.ID, StudentID: out.student.ID, Text: "Travail soigné, à poursuivre."}); err != nil {
				return err
			}
		}
		out.results = len(rs)
		if err := tx.Records().InsertResults(ctx, uai, rs); err != nil {
			return err
		}
		for s := 0; s < nSheets; s++ {
			sh := sillage.Sheet{StudentID: out.student.ID, Kind: sillage.SheetBacPro, Title: fmt.Sprintf("Situation %d : installer / dépanner", s+1),
				Context: sillage.ContextPFMP, PFMPStart: sillage.NewDate(2025, 11, 3), PFMPEnd: sillage.NewDate(2025, 11, 28), Host: "Électricité Dupont",
				Description: "Pose d'un tableau.", AuthorID: teacher.ID, Result: "3", Comment: "Bien."}
			if err := tx.Records().CreateSheet(ctx, uai, &sh); err != nil {
				return err
			}
			for f := 0; f < filesPer; f++ {
				data := pdfOf(uint64(s*100+f), fileSize)
				ref, err := blobs.Put(bytes.NewReader(data))
				if err != nil {
					return err
				}
				out.files[ref.SHA256] = data
				// Two files of a sheet share a name: the archive must keep both.
				a := sillage.Attachment{SheetID: sh.ID, Name: "compte-rendu.pdf", SHA256: ref.SHA256, Size: ref.Size, ContentType: records.TypePDF,
					UploadedBy: out.student.ID}
				if err := tx.Records().AddAttachment(ctx, uai, &a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

var testSigner = func() *signing.Signer {
	kr, err := ident.NewKeyring(map[int][]byte{1: bytes.Repeat([]byte{3}, 32)})
	if err != nil {
		panic(err)
	}
	s, err := signing.NewSigner(kr)
	if err != nil {
		panic(err)
	}
	return s
}()

var testIssuer = signedzip.Issuer{ID: "sillage-test", URL: "https://sillage.example"}

func TestWrite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		b := build(t, st, t.TempDir(), 3, 5, 2, 2, 4096)
		var buf bytes.Buffer
		if err := passport.Write(ctx, st, b.blobs, uai, b.student.ID, &buf, passport.Options{BirthDate: true, Signer: testSigner, Issuer: testIssuer}); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		entries := map[string][]byte{}
		var names []string
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			entries[f.Name] = data
			names = append(names, f.Name)
		}
		wantNames := []string{passport.ReadmeName, passport.PDFName, passport.JSONName,
			"fichiers/01-Situation 2 _ installer _ dépanner/compte-rendu.pdf", "fichiers/01-Situation 2 _ installer _ dépanner/compte-rendu (2).pdf",
			"fichiers/02-Situation 1 _ installer _ dépanner/compte-rendu.pdf", "fichiers/02-Situation 1 _ installer _ dépanner/compte-rendu (2).pdf",
			signedzip.ManifestName, signedzip.SignatureName}
		if fmt.Sprint(names) != fmt.Sprint(wantNames) {
			t.Fatalf("entries:\n got %q\nwant %q", names, wantNames)
		}
		// Signed by the instance: verifiable with its keys, and by nothing else.
		m, err := signedzip.Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), testSigner.PublicKeys())
		if err != nil || m.Purpose != signedzip.PurposePassport || m.Issuer != testIssuer || len(m.Files) != len(wantNames)-2 {
			t.Fatalf("signed passport: %v %+v", err, m)
		}
		if err := passport.Write(ctx, st, b.blobs, uai, b.student.ID, io.Discard, passport.Options{}); err == nil {
			t.Fatal("a passport without the instance's signing key was written")
		}
		if !bytes.HasPrefix(entries[passport.PDFName], []byte("%PDF-")) || !bytes.Contains(entries[passport.PDFName], []byte("%%EOF")) {
			t.Error("livret.pdf is not a PDF")
		}
		// The JSON parses and says the same as the database.
		var f records.File
		if err := json.Unmarshal(entries[passport.JSONName], &f); err != nil {
			t.Fatal(err)
		}
		if f.Format != records.FormatName || len(f.Students) != 1 {
			t.Fatalf("json = %+v", f)
		}
		s := f.Students[0]
		nres := 0
		for _, e := range s.Evaluations {
			nres += len(e.Results)
			if e.Comment == "" || e.Author == nil || e.Author.Name != "MARTIN Anne" {
				t.Errorf("evaluation %+v", e)
			}
		}
		if s.LastName != "Durand" || len(s.Evaluations) != 3 || nres != b.results || len(s.Sheets) != 2 {
			t.Errorf("student in the JSON: %d evaluations, %d results, %d sheets", len(s.Evaluations), nres, len(s.Sheets))
		}
		// Every file is byte-identical to its blob, at the path the JSON gives.
		for _, sh := range s.Sheets {
			if sh.Evaluation == nil || sh.Evaluation.Result != "3" || len(sh.Files) != 2 {
				t.Errorf("sheet %+v", sh)
			}
			for _, a := range sh.Files {
				if !bytes.Equal(entries[a.Path], b.files[a.SHA256]) {
					t.Errorf("%s differs from its blob %s", a.Path, a.SHA256)
				}
			}
		}
		// No external id leaves in the archive.
		for name, data := range entries {
			if bytes.Contains(data, []byte("SECRET")) {
				t.Errorf("%s contains an external id", name)
			}
		}
	})
}

func TestWriteOtherEstablishmentAndMissingFile(t *testing.T) {
	st := storetest.Open(t, store.SQLite, &storetest.Clock{T: storetest.Epoch})
	ctx := context.Background()
	dir := t.TempDir()
	b := build(t, st, dir, 1, 2, 1, 1, 1000)
	if err := st.Write(ctx, func(tx *store.Tx) error {
		return tx.Establishments().CreateEstablishment(ctx, sillage.Establishment{UAI: "0010856A", Name: "B", Kind: sillage.KindCollege})
	}); err != nil {
		t.Fatal(err)
	}
	err := passport.Write(ctx, st, b.blobs, "0010856A", b.student.ID, io.Discard, passport.Options{Signer: testSigner, Issuer: testIssuer})
	if sillage.KindOf(err) != sillage.KindNotFound {
		t.Fatalf("another establishment's student: %v", err)
	}
	// A blob lost on disk does not lose the rest of the record.
	for sum := range b.files {
		if err := os.Remove(dir + "/sha256/" + sum[:2] + "/" + sum); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := passport.Write(ctx, st, b.blobs, uai, b.student.ID, &buf, passport.Options{BirthDate: true, Signer: testSigner, Issuer: testIssuer}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	last := zr.File[len(zr.File)-3] // then MANIFEST.json, MANIFEST.sig
	if _, err := signedzip.Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), testSigner.PublicKeys()); err != nil {
		t.Fatalf("a passport with missing files is still signed: %v", err)
	}
	if last.Name != passport.MissingName {
		t.Fatalf("last entry %s, want %s", last.Name, passport.MissingName)
	}
}

func TestClean(t *testing.T) {
	used := map[string]bool{}
	cases := []struct{ in, want string }{
		{"rapport.pdf", "rapport.pdf"},
		{"Rapport.PDF", "Rapport (2).PDF"},
		{"../../etc/passwd", "_._etc_passwd"},
		{"a:b?c*.zip", "a_b_c_.zip"},
		{"  \x00\x07  ", "fichier"},
		{".cache", "cache"},
		{strings.Repeat("é", 100) + ".pdf", strings.Repeat("é", 76) + ".pdf"},
	}
	for _, c := range cases {
		if got := passport.Unique(passport.Clean(c.in, "fichier"), used); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// BenchmarkWrite: the full record of a student with 300 results and 10
// sheets of 2 files each, with small and large files. Allocations per
// operation stay flat when the files grow: the archive is streamed.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{64 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("files=%dKiB", size>>10), func(b *testing.B) {
			st := storetest.Open(b, store.SQLite, &storetest.Clock{T: storetest.Epoch})
			bt := build(b, st, b.TempDir(), 30, 10, 10, 2, size)
			ctx := context.Background()
			var total int64
			b.ReportAllocs()
			b.SetBytes(int64(20 * size))
			start := time.Now()
			n := 0
			for b.Loop() {
				cw := &countWriter{}
				if err := passport.Write(ctx, st, bt.blobs, uai, bt.student.ID, cw, passport.Options{Signer: testSigner, Issuer: testIssuer}); err != nil {
					b.Fatal(err)
				}
				total = cw.n
				n++
			}
			b.ReportMetric(float64(total)/(1<<20), "zipMiB")
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(n), "ms/record")
		})
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// TestBirthDateForWhomItMayConcern: the birth date is in the archive only
// when asked for (the student, a guardian, the administrator), in the JSON
// and in the PDF. Without it, the PDF is the one of a student with no birth
// date known: the field is gone, nothing else changed.
func TestBirthDateForWhomItMayConcern(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		b := build(t, st, t.TempDir(), 1, 2, 1, 1, 512)
		entries := func(opts passport.Options) map[string][]byte {
			t.Helper()
			var buf bytes.Buffer
			if err := passport.Write(ctx, st, b.blobs, uai, b.student.ID, &buf, opts); err != nil {
				t.Fatal(err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			out := map[string][]byte{}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				out[f.Name], err = io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		with, without := entries(passport.Options{BirthDate: true, Signer: testSigner, Issuer: testIssuer}), entries(passport.Options{Signer: testSigner, Issuer: testIssuer})
		if !bytes.Contains(with[passport.JSONName], []byte(`"2009-03-14"`)) {
			t.Error("the birth date is missing from the JSON asked with it")
		}
		for name, data := range without {
			if bytes.Contains(data, []byte("2009-03-14")) || bytes.Contains(data, []byte("14/03/2009")) {
				t.Errorf("%s holds the birth date, not asked for", name)
			}
		}
		if bytes.Equal(with[passport.PDFName], without[passport.PDFName]) {
			t.Fatal("the PDF is the same with and without the birth date")
		}
		err := st.Write(ctx, func(tx *store.Tx) error {
			s := b.student
			s.BirthDate = sillage.Date{}
			return tx.People().UpdateStudent(ctx, uai, s)
		})
		if err != nil {
			t.Fatal(err)
		}
		if unknown := entries(passport.Options{BirthDate: true, Signer: testSigner, Issuer: testIssuer}); !bytes.Equal(unknown[passport.PDFName], without[passport.PDFName]) {
			t.Error("the PDF without the birth date differs from the PDF of a student whose birth date is unknown")
		}
	})
}
