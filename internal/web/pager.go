package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// pageSize is how many lines a long list shows at once: enough to scan a
// class or two, few enough to keep the page light on a school's network.
const pageSize = 50

// pager is where one page of a long list sits among the others: its lines
// (first to last, from 1), the total count and the links to its neighbours,
// which keep every other filter of the query string.
type pager struct {
	Number, Pages int
	First, Last   int
	Total         int
	Prev, Next    string // empty on the first or last page
	One, Many     string // the listed thing: "élève", "élèves"
}

// Noun is the listed thing, singular or plural for the total.
func (p pager) Noun() string {
	if p.Total <= 1 {
		return p.One
	}
	return p.Many
}

// pageNumber reads ?page= (1 when absent or not a positive number: an old
// bookmark past the end lands on the last page rather than on an error).
func pageNumber(r *http.Request, param string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(param))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// newPager places page n of total lines, under the query parameter param of
// the request's address.
func newPager(r *http.Request, param string, n, total int, one, many string) pager {
	return pagerAt(r.URL.Path, r.URL.Query(), "", param, n, total, one, many)
}

// pagerAt places page n of total lines of the list at path?query#anchor,
// whose page number is the query parameter param.
func pagerAt(path string, query url.Values, anchor, param string, n, total int, one, many string) pager {
	pages := max(1, (total+pageSize-1)/pageSize)
	n = min(max(n, 1), pages)
	p := pager{Number: n, Pages: pages, Total: total, One: one, Many: many}
	if total > 0 {
		p.First = (n-1)*pageSize + 1
		p.Last = min(n*pageSize, total)
	}
	link := func(k int) string {
		q := url.Values{}
		for key, v := range query {
			q[key] = v
		}
		if k == 1 {
			q.Del(param)
		} else {
			q.Set(param, strconv.Itoa(k))
		}
		u := url.URL{Path: path, RawQuery: q.Encode(), Fragment: anchor}
		return u.String()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n < pages {
		p.Next = link(n + 1)
	}
	return p
}

// pageOf returns the lines of rows (p.Total of them) that p shows.
func pageOf[T any](rows []T, p pager) []T {
	if p.Total == 0 {
		return nil
	}
	return rows[p.First-1 : p.Last]
}

// paginate returns the lines of the asked page of rows and its pager.
func paginate[T any](r *http.Request, rows []T, one, many string) ([]T, pager) {
	p := newPager(r, "page", pageNumber(r, "page"), len(rows), one, many)
	return pageOf(rows, p), p
}

// Offset is the number of lines before the page, for a query that pages in SQL.
func (p pager) Offset() int { return max(p.First-1, 0) }
