package web_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// page is an HTML response parsed once. Assertions name the element where a
// text must show (a table cell, a heading, the flash message, a link), so a
// text that is only in an attribute, a comment or a script does not pass for
// one a user reads.
type page struct {
	doc *goquery.Document
}

// parsePage parses an HTML body or fragment, failing the test if it cannot.
func parsePage(t testing.TB, body string) page {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse the page: %v", err)
	}
	return page{doc}
}

// parseCell parses a grid cell that htmx swaps in place of a <td>: the
// parser keeps a <td> only inside a table row, as the browser does.
func parseCell(t testing.TB, body string) page {
	t.Helper()
	return parsePage(t, "<table><tbody><tr>"+body+"</tr></tbody></table>")
}

// squash collapses white space the way a browser shows it, so a text split
// over template lines compares as one line.
func squash(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// text is the text of the first element matching sel, "" if none does.
func (p page) text(sel string) string {
	return squash(p.doc.Find(sel).First().Text())
}

// texts is the text of each element matching sel, in document order.
func (p page) texts(sel string) []string {
	return p.doc.Find(sel).Map(func(_ int, s *goquery.Selection) string {
		return squash(s.Text())
	})
}

// has reports whether an element matching sel shows a text containing want.
func (p page) has(sel, want string) bool {
	found := false
	p.doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		found = strings.Contains(squash(s.Text()), want)
		return !found
	})
	return found
}

// count is the number of elements matching sel.
func (p page) count(sel string) int {
	return p.doc.Find(sel).Length()
}

// attr is the attribute name of the first element matching sel, "" if there
// is no such element or attribute.
func (p page) attr(sel, name string) string {
	v, _ := p.doc.Find(sel).First().Attr(name)
	return v
}
