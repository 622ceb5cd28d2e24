package blob

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sillage/sillage"
)

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 o", 1023: "1023 o", 1024: "1 Ko", 1536: "1,5 Ko", 812 << 20: "812 Mo", 1 << 30: "1 Go", 5<<40 + 1<<39: "5,5 To"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

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
