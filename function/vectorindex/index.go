package vectorindex

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/facevec/facevec/result"
)

// Service limits (S3 User Guide, "S3 Vectors limitations and restrictions").
const (
	MaxPutVectors    = 500 // vectors per PutVectors call
	MaxDeleteVectors = 500 // keys per DeleteVectors call
	MaxGetVectors    = 100 // keys per GetVectors call
	MaxTopK          = 100 // results per QueryVectors call
	// MaxFaces bounds the tail Sync looks for and Remove deletes: far
	// beyond any photo (dlib finds a few hundred faces in a stadium shot).
	MaxFaces = 10_000
)

// Dimension, DataType and DistanceMetric are the index settings facevec
// needs: dlib's 128-d descriptors, compared by the Euclidean distance its
// 0.6 threshold is defined on.
const (
	Dimension      = result.DescriptorLen
	DataType       = types.DataTypeFloat32
	DistanceMetric = types.DistanceMetricEuclidean
)

// API is the part of *s3vectors.Client this package uses.
type API interface {
	PutVectors(ctx context.Context, in *s3vectors.PutVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.PutVectorsOutput, error)
	GetVectors(ctx context.Context, in *s3vectors.GetVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.GetVectorsOutput, error)
	DeleteVectors(ctx context.Context, in *s3vectors.DeleteVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.DeleteVectorsOutput, error)
	QueryVectors(ctx context.Context, in *s3vectors.QueryVectorsInput, optFns ...func(*s3vectors.Options)) (*s3vectors.QueryVectorsOutput, error)
}

// ErrName is wrapped by the error New returns for a bad bucket or index name.
var ErrName = errors.New("invalid vector bucket or index name")

var (
	// S3 Vectors naming rules: 3–63 characters, lower-case letters, digits
	// and hyphens (index names also dots), starting and ending with a
	// letter or digit.
	bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	indexNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// CheckNames reports what is wrong with a vector bucket and index name, nil
// when both are valid.
func CheckNames(bucket, index string) error {
	var errs []error
	if !bucketNameRE.MatchString(bucket) {
		errs = append(errs, fmt.Errorf("%w: vector bucket %q: want 3–63 lower-case letters, digits and '-', starting and ending with a letter or digit", ErrName, bucket))
	}
	if !indexNameRE.MatchString(index) {
		errs = append(errs, fmt.Errorf("%w: vector index %q: want 3–63 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", ErrName, index))
	}
	return errors.Join(errs...)
}

// Index is one vector index.
type Index struct {
	api           API
	bucket, index string
	squared       bool // QueryVectors' distance is the squared Euclidean one
}

// Option adjusts an Index.
type Option func(*Index)

// WithSquaredDistance tells Query that the service's distance is the
// square of the Euclidean distance (what Calibrate measures), so that it
// reports and filters by the Euclidean distance itself.
func WithSquaredDistance(squared bool) Option { return func(ix *Index) { ix.squared = squared } }

// New returns the index named index in vector bucket bucket.
func New(api API, bucket, index string, opts ...Option) (*Index, error) {
	if api == nil {
		return nil, errors.New("vectorindex: nil API")
	}
	if err := CheckNames(bucket, index); err != nil {
		return nil, err
	}
	ix := &Index{api: api, bucket: bucket, index: index}
	for _, o := range opts {
		o(ix)
	}
	return ix, nil
}

// Bucket is the vector bucket's name.
func (ix *Index) Bucket() string { return ix.bucket }

// Name is the index's name.
func (ix *Index) Name() string { return ix.index }

// String is "<bucket>/<index>", for logs.
func (ix *Index) String() string { return ix.bucket + "/" + ix.index }

// Sync makes the index hold exactly the faces of res for its source
// (Source.Bucket, Source.Key): faces 0..n-1 are written (overwriting what
// an earlier version wrote under the same keys) and the faces n, n+1, ...
// an earlier version with more faces left are deleted. A result with an
// error has no faces, so its photo leaves the index. Faces whose descriptor
// is not 128 values are an error, before anything is written.
func (ix *Index) Sync(ctx context.Context, res *result.Result) error {
	src := res.Source
	vecs, err := vectorsOf(res)
	if err != nil {
		return err
	}
	for start := 0; start < len(vecs); start += MaxPutVectors {
		batch := vecs[start:min(start+MaxPutVectors, len(vecs))]
		if _, err := ix.api.PutVectors(ctx, &s3vectors.PutVectorsInput{
			VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Vectors: batch,
		}); err != nil {
			return fmt.Errorf("vectorindex: put %d vectors of s3://%s/%s into %s: %w", len(batch), src.Bucket, src.Key, ix, err)
		}
	}
	if _, err := ix.deleteFrom(ctx, src.Bucket, src.Key, len(vecs)); err != nil {
		return err
	}
	return nil
}

// vectorsOf is a result's faces as the index stores them; a face whose
// descriptor is not 128 values is an error, before anything is written.
func vectorsOf(res *result.Result) ([]types.PutInputVector, error) {
	src := res.Source
	if src.Bucket == "" || src.Key == "" {
		return nil, fmt.Errorf("vectorindex: result names no S3 object (bucket %q, key %q)", src.Bucket, src.Key)
	}
	vecs := make([]types.PutInputVector, 0, len(res.Faces))
	for n, f := range res.Faces {
		if len(f.Descriptor) != Dimension {
			return nil, fmt.Errorf("vectorindex: s3://%s/%s face %d: descriptor has %d values, the index takes %d", src.Bucket, src.Key, n, len(f.Descriptor), Dimension)
		}
		meta := Face{Bucket: src.Bucket, Key: src.Key, ETag: src.ETag, Face: n, Box: f.Box}
		vecs = append(vecs, types.PutInputVector{
			Key:      aws.String(Key(src.Bucket, src.Key, n)),
			Data:     &types.VectorDataMemberFloat32{Value: f.Descriptor},
			Metadata: meta.document(),
		})
	}
	return vecs, nil
}

// Remove deletes every vector of s3://bucket/key and returns how many
// there were.
func (ix *Index) Remove(ctx context.Context, bucket, key string) (int, error) {
	return ix.deleteFrom(ctx, bucket, key, 0)
}

// deleteFrom deletes faces from, from+1, ... of a photo. A photo's faces
// are numbered without gaps (Sync writes 0..n-1 and deletes the rest), so
// the search stops at the first page of GetVectors with a missing key.
func (ix *Index) deleteFrom(ctx context.Context, bucket, key string, from int) (int, error) {
	deleted := 0
	for start := from; start < MaxFaces; start += MaxGetVectors {
		keys := make([]string, 0, MaxGetVectors)
		for n := start; n < start+MaxGetVectors; n++ {
			keys = append(keys, Key(bucket, key, n))
		}
		got, err := ix.api.GetVectors(ctx, &s3vectors.GetVectorsInput{
			VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Keys: keys,
		})
		if err != nil {
			return deleted, fmt.Errorf("vectorindex: look up faces %d.. of s3://%s/%s in %s: %w", start, bucket, key, ix, err)
		}
		if len(got.Vectors) == 0 {
			return deleted, nil
		}
		found := make([]string, 0, len(got.Vectors))
		for _, v := range got.Vectors {
			found = append(found, aws.ToString(v.Key))
		}
		if _, err := ix.api.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{
			VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Keys: found,
		}); err != nil {
			return deleted, fmt.Errorf("vectorindex: delete %d vectors of s3://%s/%s from %s: %w", len(found), bucket, key, ix, err)
		}
		deleted += len(found)
		if len(got.Vectors) < len(keys) {
			return deleted, nil
		}
	}
	return deleted, nil
}

// InSync reports whether the index already holds exactly faces 0..faces-1
// of s3://bucket/key, written for this ETag: a redelivered event then
// needs no write at all.
func (ix *Index) InSync(ctx context.Context, bucket, key, etag string, faces int) (bool, error) {
	if faces >= MaxGetVectors {
		return false, nil // rare; writing again is cheaper than paging
	}
	keys := make([]string, 0, faces+1)
	for n := 0; n <= faces; n++ {
		keys = append(keys, Key(bucket, key, n))
	}
	got, err := ix.api.GetVectors(ctx, &s3vectors.GetVectorsInput{
		VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Keys: keys, ReturnMetadata: true,
	})
	if err != nil {
		return false, fmt.Errorf("vectorindex: look up s3://%s/%s in %s: %w", bucket, key, ix, err)
	}
	if len(got.Vectors) != faces {
		return false, nil
	}
	tail := Key(bucket, key, faces)
	for _, v := range got.Vectors {
		if aws.ToString(v.Key) == tail {
			return false, nil
		}
		f, err := faceOf(v.Metadata)
		if err != nil || f.ETag != etag || f.Bucket != bucket || f.Key != key {
			return false, nil
		}
	}
	return true, nil
}

// SyncAll is Sync for several results at once: their faces go to the
// index in as few PutVectors calls as fit (500 vectors each) instead of
// one call per photo, which S3 Vectors bills at a minimum size each; then
// each photo's faces beyond its count are deleted, as Sync does. Results
// must name distinct photos. On an error some photos may be written and
// others not; writing them again (Sync, SyncAll) is idempotent.
func (ix *Index) SyncAll(ctx context.Context, results []*result.Result) error {
	var vecs []types.PutInputVector
	for _, res := range results {
		v, err := vectorsOf(res)
		if err != nil {
			return err
		}
		vecs = append(vecs, v...)
	}
	for start := 0; start < len(vecs); start += MaxPutVectors {
		batch := vecs[start:min(start+MaxPutVectors, len(vecs))]
		if _, err := ix.api.PutVectors(ctx, &s3vectors.PutVectorsInput{
			VectorBucketName: aws.String(ix.bucket), IndexName: aws.String(ix.index), Vectors: batch,
		}); err != nil {
			return fmt.Errorf("vectorindex: put %d vectors of %d photos into %s: %w", len(batch), len(results), ix, err)
		}
	}
	for _, res := range results {
		if _, err := ix.deleteFrom(ctx, res.Source.Bucket, res.Source.Key, len(res.Faces)); err != nil {
			return err
		}
	}
	return nil
}
