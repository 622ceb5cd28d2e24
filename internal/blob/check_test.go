package blob

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

func TestCheckDir(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "fichier")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		dir     string
		minFree int64
		want    string // "" : ready
	}{
		{"writable, no minimum", dir, 0, ""},
		{"writable, room enough", dir, 1 << 10, ""},
		{"not a folder", notDir, 0, "n'est pas accessible en écriture"},
		{"missing", filepath.Join(dir, "absent"), 0, "n'est pas accessible en écriture"},
		{"no room", dir, 1 << 62, "n'a plus que"},
	} {
		err := CheckDir(c.dir, c.minFree)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (sillage.KindOf(err) != sillage.KindUnavailable || !strings.Contains(sillage.Message(err), c.want)):
			t.Errorf("%s: %v, want unavailable %q", c.name, err, c.want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the checks left files behind: %v", entries)
	}
}
