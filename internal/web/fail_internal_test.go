package web

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFailAfterTheAnswerBegan: a handler whose page write fails (the
// client went away) must not get an error page written after its own
// answer; a handler that failed before writing gets one.
func TestFailAfterTheAnswerBegan(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	r := httptest.NewRequest("GET", "/transferts", nil)

	rec := httptest.NewRecorder()
	sw := &statusWriter{ResponseWriter: rec}
	sw.WriteHeader(http.StatusOK)
	io.WriteString(sw, "<p>page</p>")
	s.fail(sw, r, route{api: true}, errors.New("write: broken pipe"))
	if rec.Code != http.StatusOK || rec.Body.String() != "<p>page</p>" {
		t.Errorf("after the answer began: %d %q, want the page alone", rec.Code, rec.Body.String())
	}
	if !strings.Contains(logs.String(), "broken pipe") {
		t.Errorf("the failure is not logged: %q", logs.String())
	}

	rec = httptest.NewRecorder()
	s.fail(&statusWriter{ResponseWriter: rec}, r, route{api: true}, errors.New("boom"))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("before any answer: %d, want 500", rec.Code)
	}
}

// TestStatusTitlesInFrench: every error status a page can answer has a
// French title (http.StatusText is English).
func TestStatusTitlesInFrench(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503} {
		title := statusTitle(status)
		if title == "" || title == http.StatusText(status) {
			t.Errorf("%d: title %q", status, title)
		}
	}
}
