package directory_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/directory"
	"github.com/sillage/sillage/internal/siecle"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestOldFilesHeld: a SIECLE, STS-web or ONDE file of a school year older
// than the establishment's, or older than the last applied file of its
// kind, is held with the reason and nothing written; confirmed, it is
// applied. A newer file goes through.
func TestOldFilesHeld(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, clock *storetest.Clock) {
		e := newEnv(t, st, clock)
		e.establishment(scenarioUAI, sillage.KindLP)
		e.establishment(genEcole, sillage.KindEcole)
		ctx := context.Background()
		siecleOf := func(year int, exported time.Time) []byte {
			t.Helper()
			f := scenarioFiles()["siecle_0860012W_1.xml"]
			f.Header.Year, f.Header.ExportDate, f.Header.Timestamp = year, exported, exported
			var buf bytes.Buffer
			if err := siecle.WriteStudents(&buf, f); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		stsOf := func(year string) []byte {
			return bytes.Replace(readFile(t, testdata("sts_emp_0860012W_2025.xml")), []byte(`ANNEE="2025"`), []byte(`ANNEE="`+year+`"`), 1)
		}
		pupils := genStudents(rand.New(rand.NewPCG(8, 8)), 8)
		ondeOf := func(year int) []byte { return genFile{uai: genEcole, year: year, students: pupils}.ondeCSVOf() }
		siecleRun := func(data []byte, mod ...func(*directory.Options)) func() (*directory.Report, error) {
			return func() (*directory.Report, error) {
				o := directory.Options{UAI: scenarioUAI, ConfirmMassDeactivation: true}
				for _, m := range mod {
					m(&o)
				}
				return e.im.SIECLE(ctx, bytes.NewReader(data), o)
			}
		}
		stsRun := func(data []byte) func() (*directory.Report, error) {
			return func() (*directory.Report, error) {
				return e.im.STS(ctx, bytes.NewReader(data), directory.Options{UAI: scenarioUAI})
			}
		}
		ondeRun := func(data []byte, mod ...func(*directory.Options)) func() (*directory.Report, error) {
			return func() (*directory.Report, error) {
				o := directory.Options{UAI: genEcole, ConfirmMassDeactivation: true}
				for _, m := range mod {
					m(&o)
				}
				return e.im.ONDE(ctx, bytes.NewReader(data), o)
			}
		}
		oct1, oct5 := day(2025, 10, 1).Add(9*time.Hour), day(2025, 10, 5).Add(9*time.Hour)
		steps := []struct {
			name string
			run  func() (*directory.Report, error)
			held string // the reason's words, "" when applied
		}{
			{"siecle of the year", siecleRun(siecleOf(2025, oct5)), ""},
			{"siecle of last year", siecleRun(siecleOf(2024, day(2025, 6, 30))), "de l'année scolaire 2024-2025, antérieure à l'année en cours de l'établissement (2025-2026)"},
			{"siecle exported before the last one", siecleRun(siecleOf(2025, oct1)), "exporté le 1 octobre 2025, avant le dernier fichier appliqué"},
			{"siecle exported before, confirmed", siecleRun(siecleOf(2025, oct1), oldFile), ""},
			{"siecle of next year", siecleRun(siecleOf(2026, day(2026, 7, 1))), ""},
			{"siecle of the year after next year's", siecleRun(siecleOf(2025, day(2025, 10, 6))), "alors que le dernier fichier appliqué"},
			{"sts of last year", stsRun(stsOf("2024")), "de l'année scolaire 2024-2025"},
			{"sts of the year", stsRun(stsOf("2025")), ""},
			{"onde of the year", ondeRun(ondeOf(2025)), ""},
			{"onde of last year", ondeRun(ondeOf(2024)), "d'après les dates de naissance et les niveaux de ses élèves, le fichier semble de l'année scolaire 2024-2025"},
			{"onde of last year, confirmed", ondeRun(ondeOf(2024), oldFile), ""},
		}
		for _, s := range steps {
			before := dump(t, st)
			rep, err := s.run()
			if s.held == "" {
				if err != nil || !rep.Status.Applied() {
					t.Fatalf("%s: %v, status %s", s.name, err, rep.Status)
				}
				continue
			}
			var old *directory.OldFileError
			if !errors.As(err, &old) || rep.Status != directory.StatusHeld || !strings.Contains(rep.Message, s.held) ||
				sillage.KindOf(err) != sillage.KindConflict {
				t.Fatalf("%s: err %v, status %s, message %q: want held with %q", s.name, err, rep.Status, rep.Message, s.held)
			}
			if dump(t, st) != before {
				t.Errorf("%s: a held import changed the database", s.name)
			}
		}
	})
}
