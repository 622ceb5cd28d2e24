package records

import (
	"context"
	"fmt"
	"io"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/audit"
	"github.com/sillage/sillage/internal/store"
)

// ExportRequest says what to export and who asks.
type ExportRequest struct {
	UAI     sillage.UAI
	EleveID string // "" = every student of the establishment
	Actor   audit.Actor
	// ExternalIDs: see ExportOptions (the bulk export is an
	// administrator's: true).
	ExternalIDs bool
}

// Export writes the records of an establishment (or of one student, by
// SIECLE ELEVE_ID) as records JSON to w, and records the export in the
// audit log. The audit entry is written first: an export that fails half
// way was still attempted.
func Export(ctx context.Context, st *store.Store, req ExportRequest, w io.Writer) error {
	var f *File
	err := st.Read(ctx, func(tx *store.Tx) error {
		var ids []int64
		if req.EleveID != "" {
			s, err := tx.People().GetStudentBySIECLEID(ctx, req.UAI, req.EleveID)
			if err != nil {
				return err
			}
			ids = []int64{s.ID}
		}
		recs, err := Load(ctx, tx, req.UAI, ids)
		if err != nil {
			return err
		}
		f = ToFile(recs, ExportOptions{ExternalIDs: req.ExternalIDs, Now: tx.Now()})
		return nil
	})
	if err != nil {
		return err
	}
	target := "établissement"
	if req.EleveID != "" {
		target = "élève " + req.EleveID
	}
	results := 0
	for _, s := range f.Students {
		for _, e := range s.Evaluations {
			results += len(e.Results)
		}
	}
	err = st.Write(ctx, func(tx *store.Tx) error {
		return audit.Record(ctx, tx, req.UAI, req.Actor, audit.RecordsExported, target,
			fmt.Sprintf("%d élève(s), %d résultat(s)", len(f.Students), results))
	})
	if err != nil {
		return err
	}
	return Encode(w, f)
}
