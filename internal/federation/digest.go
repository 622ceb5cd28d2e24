package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/sillage/sillage/internal/records"
)

// Digest is the manifest digest of a federated transfer: the SHA-256, in
// hex, of the canonical list of the content a student's record holds in
// the records JSON, never an identifier or a name of either instance (the
// evaluations' author becomes the destination's "ancien établissement",
// the student is known by each side under its own identity):
//
//	evaluation <date> <title> <level> <diploma>
//	  result <competence code> <value>        (by code, value)
//	  comment <text>
//	sheet <type> <title> <description> <context> <class> <PFMP start> <PFMP end> <host> <activities>
//	  evaluated <author> <result> <comment>   (when it has a result or a comment)
//	  competence <code> <value> <comment>     (its per-competence results, by code, value, comment)
//	  file <name> <sha256> <size> <type>      (sorted)
//
// Every field is length-prefixed; the evaluation blocks, then the sheet
// blocks, are each sorted by their bytes. The origin computes it over what
// it sends, the destination over what it received (it must be the one the
// origin signed) and, in tests, over what it then holds: the same record
// gives the same digest on both sides.
func Digest(s records.Student) string {
	var evals, sheets []string
	for _, e := range s.Evaluations {
		var b strings.Builder
		field(&b, "evaluation", e.Date, e.Title, e.Level, e.Diploma)
		res := append([]records.Result(nil), e.Results...)
		sort.Slice(res, func(i, j int) bool {
			if res[i].Competence != res[j].Competence {
				return res[i].Competence < res[j].Competence
			}
			return res[i].Value < res[j].Value
		})
		for _, r := range res {
			field(&b, "result", r.Competence, r.Value)
		}
		if e.Comment != "" {
			field(&b, "comment", e.Comment)
		}
		evals = append(evals, b.String())
	}
	for _, sh := range s.Sheets {
		var b strings.Builder
		field(&b, "sheet", sh.Kind, sh.Title, sh.Description, sh.Context, sh.Class, sh.PFMPStart, sh.PFMPEnd, sh.Host, sh.Activities)
		if ev := sh.Evaluation; ev != nil && (ev.Result != "" || ev.Comment != "") {
			author := ""
			if ev.Author != nil {
				author = ev.Author.Name
			}
			field(&b, "evaluated", author, ev.Result, ev.Comment)
		}
		if ev := sh.Evaluation; ev != nil && len(ev.Competences) > 0 {
			// Absent from records without them: their digest is the one
			// instances computed before sheets carried competences.
			cs := append([]records.SheetCompetence(nil), ev.Competences...)
			sort.Slice(cs, func(i, j int) bool {
				if cs[i].Competence != cs[j].Competence {
					return cs[i].Competence < cs[j].Competence
				}
				if cs[i].Value != cs[j].Value {
					return cs[i].Value < cs[j].Value
				}
				return cs[i].Comment < cs[j].Comment
			})
			for _, c := range cs {
				field(&b, "competence", c.Competence, c.Value, c.Comment)
			}
		}
		var files []string
		for _, f := range sh.Files {
			var fb strings.Builder
			field(&fb, "file", f.Name, f.SHA256, strconv.FormatInt(f.Size, 10), f.Type)
			files = append(files, fb.String())
		}
		sort.Strings(files)
		for _, f := range files {
			b.WriteString(f)
		}
		sheets = append(sheets, b.String())
	}
	sort.Strings(evals)
	sort.Strings(sheets)
	h := sha256.New()
	for _, x := range evals {
		h.Write([]byte(x))
	}
	for _, x := range sheets {
		h.Write([]byte(x))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func field(b *strings.Builder, kind string, values ...string) {
	b.WriteString(kind)
	for _, v := range values {
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(len(v)))
		b.WriteByte(':')
		b.WriteString(v)
	}
	b.WriteByte('\n')
}

// Counts is what a package holds (the transfer log's counts).
type Counts struct {
	Evaluations int `json:"evaluations"`
	Results     int `json:"resultats"`
	Comments    int `json:"commentaires"`
	Sheets      int `json:"fiches"`
	Files       int `json:"fichiers"`
}

// CountsOf counts a student's record.
func CountsOf(s records.Student) Counts {
	c := Counts{Evaluations: len(s.Evaluations), Sheets: len(s.Sheets)}
	for _, e := range s.Evaluations {
		c.Results += len(e.Results)
		if e.Comment != "" {
			c.Comments++
		}
	}
	for _, sh := range s.Sheets {
		c.Files += len(sh.Files)
	}
	return c
}

// JSON is the form the transfer log stores (transfer.Counts' field names).
func (c Counts) JSON() string {
	b, _ := json.Marshal(c)
	return string(b)
}
