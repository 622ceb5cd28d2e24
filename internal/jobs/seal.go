package jobs

import (
	"context"
	"io"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/blob"
	"github.com/sillage/sillage/internal/sealbox"
	"github.com/sillage/sillage/internal/store"
)

// sealLegacy seals, in place, the files written in clear before Sillage
// sealed them (docs/securite.md): the credential lists' PDF and CSV and
// the uploaded initialisation files. Each row is pointed at its sealed
// copy and the clear file is removed at once unless another row refers to
// it. It runs with the first hourly expiry of the process (at start), and
// again only if that run failed; sealed files are left alone, so a second
// run does nothing. It returns how many files it sealed.
func (q *Queue) sealLegacy(ctx context.Context) (int, error) {
	cfg := q.cfg
	if cfg.Box == nil || cfg.Blobs == nil || q.legacySealed.Load() {
		return 0, nil
	}
	n, err := q.sealLegacyFiles(ctx)
	if err == nil {
		q.legacySealed.Store(true)
	}
	return n, err
}

func (q *Queue) sealLegacyFiles(ctx context.Context) (int, error) {
	cfg := q.cfg
	var lists []sillage.CredentialList
	var files []sillage.RolloverFile
	err := cfg.Store.Read(ctx, func(tx *store.Tx) (err error) {
		if lists, err = tx.CrossTenant().ListAllCredentialLists(ctx); err != nil {
			return err
		}
		files, err = tx.CrossTenant().ListAllRolloverFiles(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	sealed := 0
	var cleared []string
	for _, l := range lists {
		pdf, pdfDone, err := q.sealBlob(l.PDFSHA256, sealbox.PurposeCredentials)
		if err != nil {
			return sealed, err
		}
		csv, csvDone, err := q.sealBlob(l.CSVSHA256, sealbox.PurposeCredentials)
		if err != nil {
			return sealed, err
		}
		if !pdfDone && !csvDone {
			continue
		}
		if !pdfDone {
			pdf = blob.Ref{SHA256: l.PDFSHA256, Size: l.PDFSize}
		}
		if !csvDone {
			csv = blob.Ref{SHA256: l.CSVSHA256, Size: l.CSVSize}
		}
		err = cfg.Store.Write(ctx, func(tx *store.Tx) error {
			return tx.Accounts().ReplaceCredentialListFiles(ctx, l.UAI, l.ID, pdf.SHA256, pdf.Size, csv.SHA256, csv.Size)
		})
		if sillage.KindOf(err) == sillage.KindNotFound {
			continue // expired meanwhile: the sealed copies go with the collection
		}
		if err != nil {
			return sealed, err
		}
		for _, done := range []bool{pdfDone, csvDone} {
			if done {
				sealed++
			}
		}
		cleared = append(cleared, l.PDFSHA256, l.CSVSHA256)
	}
	for _, f := range files {
		ref, done, err := q.sealBlob(f.SHA256, sealbox.PurposeInitFile)
		if err != nil {
			return sealed, err
		}
		if !done {
			continue
		}
		err = cfg.Store.Write(ctx, func(tx *store.Tx) error { return tx.Rollover().ReplaceRolloverFileBlob(ctx, f.UAI, f.ID, ref.SHA256) })
		if sillage.KindOf(err) == sillage.KindNotFound {
			continue
		}
		if err != nil {
			return sealed, err
		}
		sealed++
		cleared = append(cleared, f.SHA256)
	}
	referenced := func(sum string) (used bool, err error) {
		err = cfg.Store.Read(ctx, func(tx *store.Tx) (err error) { used, err = tx.CrossTenant().IsBlobReferenced(ctx, sum); return err })
		return used, err
	}
	for _, sum := range cleared {
		if _, err := cfg.Blobs.RemoveIfUnreferenced(sum, referenced); err != nil {
			cfg.Logger.Warn("remove a file sealed since", "err", err)
		}
	}
	return sealed, nil
}

// sealBlob stores a sealed copy of the blob sum when it is in clear; done
// is false for a blob already sealed or missing.
func (q *Queue) sealBlob(sum, purpose string) (ref blob.Ref, done bool, err error) {
	f, err := q.cfg.Blobs.Open(sum)
	if sillage.KindOf(err) == sillage.KindNotFound {
		return blob.Ref{}, false, nil
	}
	if err != nil {
		return blob.Ref{}, false, err
	}
	defer f.Close()
	var head [len(sealbox.Magic)]byte
	n, _ := f.ReadAt(head[:], 0)
	if sealbox.IsSealed(head[:n]) {
		return blob.Ref{}, false, nil
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := q.cfg.Box.Encrypt(pw, f, purpose)
		pw.CloseWithError(err)
	}()
	ref, err = q.cfg.Blobs.Put(pr)
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return blob.Ref{}, false, sillage.Wrap(sillage.KindUnavailable, err, "chiffrement d'un fichier écrit en clair")
	}
	return ref, true, nil
}
