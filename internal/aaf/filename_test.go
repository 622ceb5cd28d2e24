package aaf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sillage/sillage/internal/sharedref"
)

func TestParseFileName(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in      string
		want    FileName
		wantErr string
	}{
		{"FULL_ENTTSSERVICES_Complet_20130117_Eleve_0001.xml", FileName{Prefix: "FULL_ENTTSSERVICES", Complete: true, Date: day(2013, 1, 17), Category: CategoryStudent, Chunk: 1}, ""},
		{"clean-FULL_ENTTSSERVICES_Complet_20130117_PersRelEleve_0039.xml", FileName{Prefix: "clean-FULL_ENTTSSERVICES", Complete: true, Date: day(2013, 1, 17), Category: CategoryRelative, Chunk: 39}, ""},
		{"ENT2DVA-ENT16_Complet_20240916_PersEducNat_0000.xml", FileName{Prefix: "ENT2DVA-ENT16", Complete: true, Date: day(2024, 9, 16), Category: CategoryStaff}, ""},
		{"ENT_Complet_Eleve_0000.xml", FileName{Prefix: "ENT", Complete: true, Category: CategoryStudent}, ""},
		{"ENT_0860012W_Delta_20250902_MatiereEducNat_0003.XML", FileName{Prefix: "ENT", UAI: "0860012W", Date: day(2025, 9, 2), Category: CategorySubject, Chunk: 3}, ""},
		{"/some/dir/ENT_Delta_20250902_MefEducNat_0000.xml", FileName{Prefix: "ENT", Date: day(2025, 9, 2), Category: CategoryMEF}, ""},
		{"ficAlimMENESR.dtd", FileName{}, "extension"},
		{"ENT_Complet_20130117_Eleve.xml", FileName{}, "numéro de morceau"},
		{"ENT_Complet_20130117_Chat_0000.xml", FileName{}, "catégorie"},
		{"ENT_Partiel_20130117_Eleve_0000.xml", FileName{}, "Complet"},
		{"ENT_Complet_20131317_Eleve_0000.xml", FileName{}, "date"},
		{"ENT_0860012X_Complet_20130117_Eleve_0000.xml", FileName{}, "lettre de contrôle"},
		{"Eleve_0000.xml", FileName{}, "trop peu"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFileName(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestListDirReference2013(t *testing.T) {
	files, err := ListDir(sharedref.Path(t, "aaf", "entcore-feeder-aaf-test"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, fmt.Sprintf("%s_%04d", f.Name.Category, f.Name.Chunk))
	}
	want := []string{"EtabEducNat_0000", "MefEducNat_0000", "MatiereEducNat_0000", "Eleve_0001"}
	for i := range 40 {
		want = append(want, fmt.Sprintf("PersRelEleve_%04d", i))
	}
	want = append(want, "PersEducNat_0000", "PersEducNat_0001")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("order:\n got  %v\n want %v", got, want)
	}
}

func TestListDirOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"ENT_Delta_20250903_Eleve_0000.xml",
		"ENT_Delta_20250902_PersEducNat_0000.xml",
		"ENT_Delta_20250902_Eleve_0000.xml",
		"ENT_Complet_20250902_Eleve_0010.xml",
		"ENT_Complet_20250902_Eleve_0002.xml",
		"ENT_Complet_20250902_PersRelEleve_0000.xml",
		"ENT_Complet_20250902_EtabEducNat_0000.xml",
		"ficAlimMENESR.dtd",
		"importDirectories.json",
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.xml"), 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := ListDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f.Path))
	}
	want := []string{
		"ENT_Complet_20250902_EtabEducNat_0000.xml",
		"ENT_Complet_20250902_Eleve_0002.xml",
		"ENT_Complet_20250902_Eleve_0010.xml",
		"ENT_Complet_20250902_PersRelEleve_0000.xml",
		"ENT_Delta_20250902_Eleve_0000.xml",
		"ENT_Delta_20250902_PersEducNat_0000.xml",
		"ENT_Delta_20250903_Eleve_0000.xml",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A misnamed XML file stops the listing rather than being skipped.
	if err := os.WriteFile(filepath.Join(dir, "ENT_Complet_20250902_Eleves_0001.xml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListDir(dir); err == nil || !strings.Contains(err.Error(), "Eleves") {
		t.Fatalf("err = %v, want the misnamed file named", err)
	}
}
