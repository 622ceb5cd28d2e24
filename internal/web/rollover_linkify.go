package web

import (
	"html/template"
	"strings"
)

// linkify escapes a message body, keeps its line breaks, and turns the
// local paths it mentions ("/groupes/12", "/corbeille") into links. Only
// paths of this site are linked: a token must start with one "/" followed
// by a letter, and hold only the characters of Sillage's paths; anything
// else stays text, so a body can never inject markup or an outside link.
func linkify(s string) template.HTML {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteString("<br>")
		}
		start := 0
		for j := 0; j < len(line); {
			if line[j] == '/' && (j == 0 || isLinkBoundary(line[j-1])) && j+1 < len(line) && isPathStart(line[j+1]) {
				k := j + 1
				for k < len(line) && isPathChar(line[k]) {
					k++
				}
				// A sentence's final punctuation is not part of the path.
				for k > j+1 && strings.ContainsRune(".,;:", rune(line[k-1])) {
					k--
				}
				p := line[j:k]
				b.WriteString(template.HTMLEscapeString(line[start:j]))
				b.WriteString(`<a href="` + template.HTMLEscapeString(p) + `">` + template.HTMLEscapeString(p) + `</a>`)
				start, j = k, k
				continue
			}
			j++
		}
		b.WriteString(template.HTMLEscapeString(line[start:]))
	}
	return template.HTML(b.String())
}

func isLinkBoundary(c byte) bool { return c == ' ' || c == '(' || c == '\t' || c == ':' }

func isPathStart(c byte) bool { return c >= 'a' && c <= 'z' }

func isPathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("/-_.?=&,;:", c) >= 0
}
