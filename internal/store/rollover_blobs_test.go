package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/store"
	"github.com/sillage/sillage/internal/store/storetest"
)

// TestBlobReferenced: the targeted reference check agrees with BlobRefs
// on every column that holds a blob (the sealing fixture fills each with
// its own hash), and forgets an initialisation file once its row is gone.
func TestBlobReferenced(t *testing.T) {
	storetest.Run(t, func(t *testing.T, st *store.Store, _ *storetest.Clock) {
		ctx := context.Background()
		a := populate(t, st, sillage.UAI("0860012W"))
		err := st.Write(ctx, func(tx *store.Tx) error {
			refs, err := tx.CrossTenant().BlobRefs(ctx)
			if err != nil {
				return err
			}
			if len(refs) != 10 {
				t.Fatalf("%d referenced blobs, want one per blob column (10)", len(refs))
			}
			for sum := range refs {
				if ok, err := tx.CrossTenant().IsBlobReferenced(ctx, sum); err != nil || !ok {
					t.Fatalf("%s… referenced by BlobRefs, not by IsBlobReferenced: %v", sum[:8], err)
				}
			}
			if ok, err := tx.CrossTenant().IsBlobReferenced(ctx, strings.Repeat("9", 64)); err != nil || ok {
				t.Fatalf("an unknown blob is referenced: %v", err)
			}
			files, err := tx.Rollover().ListRolloverFiles(ctx, a.uai, a.year)
			if err != nil || len(files) != 1 || files[0].SHA256 != a.initFile.SHA256 {
				t.Fatalf("init files %+v %v", files, err)
			}
			if files, _ := tx.Rollover().ListRolloverFiles(ctx, a.uai, a.year-1); len(files) != 0 {
				t.Fatalf("files of an earlier changeover: %+v", files)
			}
			if _, err := tx.Rollover().DeleteRolloverFiles(ctx, a.uai, a.year); err != nil {
				return err
			}
			if ok, err := tx.CrossTenant().IsBlobReferenced(ctx, a.initFile.SHA256); err != nil || ok {
				t.Fatalf("deleted init file still referenced: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
