package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/sillage/sillage"
)

// Counts is what a transfer moved.
type Counts struct {
	Evaluations int `json:"evaluations"`
	Results     int `json:"resultats"`
	Comments    int `json:"commentaires"`
	Sheets      int `json:"fiches"`
	Files       int `json:"fichiers"`
}

// Rows is the number of rows the transfer wrote at the destination.
func (c Counts) Rows() int { return c.Evaluations + c.Results + c.Comments + c.Sheets + c.Files }

// JSON is the form stored in the log.
func (c Counts) JSON() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// ParseCounts reads the stored form ("" is zero).
func ParseCounts(s string) Counts {
	var c Counts
	_ = json.Unmarshal([]byte(s), &c)
	return c
}

// CountsOf counts a record.
func CountsOf(rec sillage.TransferRecord) Counts {
	c := Counts{Evaluations: len(rec.Evaluations), Sheets: len(rec.Sheets)}
	for _, e := range rec.Evaluations {
		c.Results += len(e.Results)
		if e.HasComment {
			c.Comments++
		}
	}
	for _, s := range rec.Sheets {
		c.Files += len(s.Attachments)
	}
	return c
}

// Manifest returns the digest both establishments show for a transfer: the
// SHA-256, in hex, of the canonical list of what moved. The list holds the
// content only, never an id of either establishment, so that the same
// record gives the same digest whichever run moved it and whatever ids the
// destination gave to the copies:
//
//	evaluation <date> <title> <level> <diploma> <referential diploma>
//	  result <competence code> <value>        (by code)
//	  comment <text>
//	sheet <kind> <title> <description> <context> <class> <PFMP start> <PFMP end>
//	      <host> <activities> <author> <result> <comment> <created at>
//	  file <name> <sha256> <size> <content type>   (by name, hash)
//
// Every field is length-prefixed; evaluation blocks and sheet blocks are
// each sorted by their encoding.
func Manifest(rec sillage.TransferRecord) string {
	var evals, sheets []string
	for _, e := range rec.Evaluations {
		var b strings.Builder
		field(&b, "evaluation", e.Date.String(), e.Title, e.Level, e.Diploma, e.ReferentialDiploma)
		res := append([]sillage.TransferResult(nil), e.Results...)
		sort.Slice(res, func(i, j int) bool {
			if res[i].Code != res[j].Code {
				return res[i].Code < res[j].Code
			}
			return res[i].Value < res[j].Value
		})
		for _, r := range res {
			field(&b, "result", r.Code, r.Value)
		}
		if e.HasComment {
			field(&b, "comment", e.Comment)
		}
		evals = append(evals, b.String())
	}
	for _, s := range rec.Sheets {
		var b strings.Builder
		field(&b, "sheet", string(s.Kind), s.Title, s.Description, string(s.Context), s.Class, s.PFMPStart.String(), s.PFMPEnd.String(),
			s.Host, s.Activities, s.AuthorName, s.Result, s.Comment, s.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z"))
		var files []string
		for _, a := range s.Attachments {
			var fb strings.Builder
			field(&fb, "file", a.Name, a.SHA256, strconv.FormatInt(a.Size, 10), a.ContentType)
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
	for _, s := range evals {
		h.Write([]byte(s))
	}
	for _, s := range sheets {
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// field writes one line: each value as its byte length, ':', the value.
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
