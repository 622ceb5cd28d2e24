package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sillage/sillage"
	"github.com/sillage/sillage/internal/scratch"
)

// S3Config reaches a bucket of an S3-compatible object store.
type S3Config struct {
	Endpoint  string // host:port, without scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string // "" : the store's default
	TLS       bool   // https
	Prefix    string // keys under this folder of the bucket ("" : at its root)
}

// S3 is the content-addressed file store in a bucket of an S3-compatible
// object store: what several servers share (a folder of one server's disk
// is not). Blobs are the objects <prefix>sha256/ab/abcdef…; an object
// appears whole or not at all, and is durable once the store answers the
// upload, so PutDeferred is Put and Sync has nothing to do.
//
// A Put first writes the content to a temporary file of this process (to
// learn its hash and size before the upload); it uploads again content
// already stored, which refreshes the object's date: the collector's grace
// period then protects it as a new file until the row that references it
// commits.
type S3 struct {
	client  *minio.Client
	bucket  string
	prefix  string
	desc    string // endpoint/bucket, for messages
	maxSize int64
	tmpDir  string       // the parent of this process's scratch folder
	scratch *scratch.Dir // this process's temporary files
}

// OpenS3 opens the blob store in cfg's bucket, which must exist. Its
// temporary files go to a folder of its own under tmpDir. maxSize bounds
// each Put; 0 means DefaultMaxSize.
func OpenS3(ctx context.Context, cfg S3Config, tmpDir string, maxSize int64) (*S3, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, sillage.Errorf(sillage.KindInvalid, "stockage objet : l'adresse (SILLAGE_BLOB_S3_ENDPOINT) et le compartiment (SILLAGE_BLOB_S3_BUCKET) sont nécessaires")
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	desc := cfg.Endpoint + "/" + cfg.Bucket
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       cfg.TLS,
		Region:       cfg.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return nil, sillage.Wrap(sillage.KindInvalid, err, fmt.Sprintf("stockage objet %s", desc))
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le stockage objet %s ne répond pas", desc))
	}
	if !ok {
		return nil, sillage.Errorf(sillage.KindUnavailable, "le compartiment %s n'existe pas sur le stockage objet %s : créez-le d'abord", cfg.Bucket, cfg.Endpoint)
	}
	SweepTemporary(tmpDir)
	sd, err := scratch.New(tmpDir, ScratchPrefix)
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le dossier temporaire %s n'est pas accessible en écriture", tmpDir))
	}
	return &S3{client: client, bucket: cfg.Bucket, prefix: prefix, desc: desc, maxSize: maxSize, tmpDir: tmpDir, scratch: sd}, nil
}

// Close removes the store's temporary folder.
func (s *S3) Close() error {
	s.scratch.Close()
	return nil
}

// MaxSize is the largest file Put accepts.
func (s *S3) MaxSize() int64 { return s.maxSize }

func (s *S3) key(sum string) string { return s.prefix + path.Join("sha256", sum[:2], sum) }

// Put stores the content of r and returns its reference.
func (s *S3) Put(r io.Reader) (Ref, error) {
	f, err := os.CreateTemp(s.scratch.Path, "put-*")
	if err != nil {
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, s.maxSize+1))
	if err != nil {
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	if n > s.maxSize {
		return Ref{}, sillage.Wrap(sillage.KindInvalid, ErrTooLarge, fmt.Sprintf("fichier trop volumineux : la limite est de %s", sillage.FormatSize(s.maxSize)))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, "écriture du fichier")
	}
	sum := hex.EncodeToString(h.Sum(nil))
	_, err = s.client.PutObject(context.Background(), s.bucket, s.key(sum), f, n, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		// The store checks the bytes it received against this sum.
		SendContentMd5: true,
	})
	if err != nil {
		return Ref{}, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("écriture du fichier sur le stockage objet %s", s.desc))
	}
	return Ref{SHA256: sum, Size: n}, nil
}

// PutDeferred is Put: an object is durable once stored.
func (s *S3) PutDeferred(r io.Reader) (Ref, error) { return s.Put(r) }

// Sync has nothing to flush: every Put is durable when it returns.
func (s *S3) Sync() error { return nil }

// notFound tells an object store's "no such object" answer.
func notFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// Open returns the blob's content.
func (s *S3) Open(sum string) (File, error) {
	if !validSum(sum) {
		return nil, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
	}
	obj, err := s.client.GetObject(context.Background(), s.bucket, s.key(sum), minio.GetObjectOptions{})
	if err != nil {
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("lecture du fichier sur le stockage objet %s", s.desc))
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if notFound(err) {
			return nil, sillage.Errorf(sillage.KindNotFound, "fichier introuvable")
		}
		return nil, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("lecture du fichier sur le stockage objet %s", s.desc))
	}
	return &s3File{obj: obj, info: objectInfo{name: sum, size: info.Size, modified: info.LastModified}}, nil
}

// Has reports whether the blob is stored.
func (s *S3) Has(sum string) bool {
	if !validSum(sum) {
		return false
	}
	_, err := s.client.StatObject(context.Background(), s.bucket, s.key(sum), minio.StatObjectOptions{})
	return err == nil
}

// RemoveIfUnreferenced removes one blob at once, unless referenced says a
// row still refers to it; see Local.RemoveIfUnreferenced.
func (s *S3) RemoveIfUnreferenced(sum string, referenced func(sum string) (bool, error)) (bool, error) {
	if ok, err := removable(sum, referenced); !ok {
		return false, err
	}
	ctx := context.Background()
	// An object store answers a removal of a missing object as a success:
	// asked first, to report whether there was one.
	if _, err := s.client.StatObject(ctx, s.bucket, s.key(sum), minio.StatObjectOptions{}); err != nil {
		if notFound(err) {
			return false, nil
		}
		return false, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("suppression du fichier sur le stockage objet %s", s.desc))
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(sum), minio.RemoveObjectOptions{}); err != nil {
		return false, sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("suppression du fichier sur le stockage objet %s", s.desc))
	}
	return true, nil
}

// Collect removes the blobs that refs does not contain and that were last
// written before olderThan (by the object store's clock), then the
// temporary files of dead processes in this server's folder and the
// uploads in several parts that were started before olderThan and never
// completed (a process killed during a large upload).
func (s *S3) Collect(ctx context.Context, refs map[string]bool, olderThan time.Time) (CollectReport, error) {
	var rep CollectReport
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "sha256/", Recursive: true}) {
		if obj.Err != nil {
			return rep, fmt.Errorf("collect blobs: %w", obj.Err)
		}
		sum := path.Base(obj.Key)
		if !validSum(sum) || obj.Key != s.key(sum) {
			continue
		}
		rep.Blobs++
		if refs[sum] {
			continue
		}
		if obj.LastModified.After(olderThan) {
			rep.Kept++
			continue
		}
		if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
			return rep, fmt.Errorf("collect blobs: %w", err)
		}
		rep.Removed++
		rep.Freed += obj.Size
	}
	if err := ctx.Err(); err != nil {
		return rep, err
	}
	rep.StaleTemps += SweepTemporary(s.tmpDir)
	for up := range s.client.ListIncompleteUploads(ctx, s.bucket, s.prefix+"sha256/", true) {
		if up.Err != nil {
			return rep, fmt.Errorf("collect incomplete uploads: %w", up.Err)
		}
		if up.Initiated.Before(olderThan) {
			if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, up.Key); err != nil {
				return rep, fmt.Errorf("collect incomplete uploads: %w", err)
			}
			rep.StaleTemps++
		}
	}
	return rep, nil
}

// readyPrefix holds the objects Check writes and removes (outside sha256/,
// where the collector never looks).
const readyPrefix = ".sillage-ready/"

// Check tells whether the store can take new data now: the local folder of
// temporary files can (with minFree bytes free), and an object can be
// written to the bucket and removed.
func (s *S3) Check(minFree int64) error {
	if err := CheckDir(s.scratch.Path, minFree); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := s.prefix + readyPrefix + randomName()
	_, err := s.client.PutObject(ctx, s.bucket, key, strings.NewReader("ok"), 2, minio.PutObjectOptions{})
	if err == nil {
		err = s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
	}
	if err != nil {
		return sillage.Wrap(sillage.KindUnavailable, err, fmt.Sprintf("le stockage objet %s n'est pas accessible en écriture", s.desc))
	}
	return nil
}

// s3File is an object being read; its Stat answers from what Open learnt.
type s3File struct {
	obj  *minio.Object
	info objectInfo
}

func (f *s3File) Read(p []byte) (int, error)                { return f.obj.Read(p) }
func (f *s3File) ReadAt(p []byte, off int64) (int, error)   { return f.obj.ReadAt(p, off) }
func (f *s3File) Seek(off int64, whence int) (int64, error) { return f.obj.Seek(off, whence) }
func (f *s3File) Close() error                              { return f.obj.Close() }
func (f *s3File) Stat() (fs.FileInfo, error)                { return f.info, nil }

type objectInfo struct {
	name     string
	size     int64
	modified time.Time
}

func (i objectInfo) Name() string       { return i.name }
func (i objectInfo) Size() int64        { return i.size }
func (i objectInfo) Mode() fs.FileMode  { return 0o440 }
func (i objectInfo) ModTime() time.Time { return i.modified }
func (i objectInfo) IsDir() bool        { return false }
func (i objectInfo) Sys() any           { return nil }
