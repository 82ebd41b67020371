package vectorindex_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"

	"github.com/facevec/facevec/function/vectorindex"
	"github.com/facevec/facevec/localstack/embedded/s3vectorssvc"
	"github.com/facevec/facevec/result"
)

const (
	testBucket = "faces-vec"
	testIndex  = "faces"
)

// newIndex serves an empty S3 Vectors stand-in on loopback and returns the
// SDK client, the service and an index created the way provisioning does.
func newIndex(t testing.TB) (*s3vectors.Client, *s3vectorssvc.Service, *vectorindex.Index) {
	t.Helper()
	svc := s3vectorssvc.New("us-east-1", "000000000000", slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := s3vectors.New(s3vectors.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	ctx := context.Background()
	if _, err := client.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(testBucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex),
		DataType: vectorindex.DataType, Dimension: aws.Int32(vectorindex.Dimension), DistanceMetric: vectorindex.DistanceMetric,
	}); err != nil {
		t.Fatal(err)
	}
	ix, err := vectorindex.New(client, testBucket, testIndex)
	if err != nil {
		t.Fatal(err)
	}
	return client, svc, ix
}

// randomFace is a face with a random unit-scale descriptor and a box that
// tells it apart.
func randomFace(rng *rand.Rand, n int) result.Face {
	d := make([]float32, vectorindex.Dimension)
	for i := range d {
		d[i] = float32(rng.NormFloat64() * 0.1)
	}
	return result.Face{Box: result.Box{Left: n, Top: 2 * n, Right: n + 50, Bottom: 2*n + 60}, Descriptor: d}
}

func photo(bucket, key, etag string, faces ...result.Face) *result.Result {
	r := result.New(result.Source{Bucket: bucket, Key: key, ETag: etag})
	r.Faces = append(r.Faces, faces...)
	return r
}

func TestSyncQueryReplaceRemove(t *testing.T) {
	ctx := context.Background()
	_, svc, ix := newIndex(t)
	rng := rand.New(rand.NewPCG(1, 2))
	a := []result.Face{randomFace(rng, 0), randomFace(rng, 1), randomFace(rng, 2)}
	b := randomFace(rng, 3)

	if err := ix.Sync(ctx, photo("in", "group photo.jpg", "e1", a...)); err != nil {
		t.Fatal(err)
	}
	if err := ix.Sync(ctx, photo("in", "solo.jpg", "e9", b)); err != nil {
		t.Fatal(err)
	}
	if got := svc.Stats().Vectors; got != 4 {
		t.Fatalf("index holds %d vectors after 3+1 faces, want 4", got)
	}

	// The query is face 1 moved a little: face 1 comes first, at the
	// distance result.Distance gives, with its metadata.
	q := append([]float32(nil), a[1].Descriptor...)
	q[0] += 0.05
	matches, err := ix.Query(ctx, q, 10, math.Inf(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 4 {
		t.Fatalf("got %d matches with infinite tolerance, want all 4", len(matches))
	}
	m := matches[0]
	if m.Bucket != "in" || m.Key != "group photo.jpg" || m.Face.Face != 1 || m.ETag != "e1" || m.Box != a[1].Box {
		t.Errorf("nearest = %+v, want face 1 of in/group photo.jpg with box %+v", m, a[1].Box)
	}
	if want := result.Distance(q, a[1].Descriptor); math.Abs(m.Distance-want) > 1e-5 {
		t.Errorf("distance %v, want %v", m.Distance, want)
	}
	for i := 1; i < len(matches); i++ {
		if matches[i].Distance < matches[i-1].Distance {
			t.Errorf("matches not nearest first: %v after %v", matches[i].Distance, matches[i-1].Distance)
		}
	}
	// Tolerance cuts the far ones.
	near, err := ix.Query(ctx, q, 10, 0.06)
	if err != nil {
		t.Fatal(err)
	}
	if len(near) != 1 || near[0].VectorKey != vectorindex.Key("in", "group photo.jpg", 1) {
		t.Errorf("within 0.06: %+v, want only face 1", near)
	}

	// Redelivery: the same result again adds nothing and is in sync.
	if err := ix.Sync(ctx, photo("in", "group photo.jpg", "e1", a...)); err != nil {
		t.Fatal(err)
	}
	if got := svc.Stats().Vectors; got != 4 {
		t.Errorf("index holds %d vectors after a redelivery, want 4", got)
	}
	if ok, err := ix.InSync(ctx, "in", "group photo.jpg", "e1", 3); err != nil || !ok {
		t.Errorf("InSync(e1, 3) = %v, %v; want true", ok, err)
	}
	if ok, _ := ix.InSync(ctx, "in", "group photo.jpg", "e2", 3); ok {
		t.Error("InSync with another ETag = true")
	}
	if ok, _ := ix.InSync(ctx, "in", "group photo.jpg", "e1", 2); ok {
		t.Error("InSync(2 faces) = true while 3 are indexed")
	}

	// A new version with one face: faces 1 and 2 of the old one go.
	if err := ix.Sync(ctx, photo("in", "group photo.jpg", "e2", b)); err != nil {
		t.Fatal(err)
	}
	if got := svc.Stats().Vectors; got != 2 {
		t.Errorf("index holds %d vectors after the 3-face photo became a 1-face one, want 2", got)
	}
	old, err := ix.Query(ctx, a[2].Descriptor, 10, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != 0 {
		t.Errorf("stale face still found: %+v", old)
	}

	// An error result has no faces: the photo leaves the index.
	failed := photo("in", "solo.jpg", "e10")
	failed.Fail(result.Errorf(result.CodeDecodeFailed, "broken"))
	if err := ix.Sync(ctx, failed); err != nil {
		t.Fatal(err)
	}
	n, err := ix.Remove(ctx, "in", "group photo.jpg")
	if err != nil || n != 1 {
		t.Errorf("Remove = %d, %v; want 1 vector removed", n, err)
	}
	if got := svc.Stats().Vectors; got != 0 {
		t.Errorf("index holds %d vectors after every photo was removed, want 0", got)
	}
	if n, err := ix.Remove(ctx, "in", "group photo.jpg"); err != nil || n != 0 {
		t.Errorf("second Remove = %d, %v; want 0, nil", n, err)
	}
}

// A photo with more faces than one GetVectors page (100) is synced and
// removed completely: the paging in deleteFrom is exercised.
func TestManyFaces(t *testing.T) {
	ctx := context.Background()
	_, svc, ix := newIndex(t)
	rng := rand.New(rand.NewPCG(3, 4))
	faces := make([]result.Face, 620) // two PutVectors calls, seven GetVectors pages
	for i := range faces {
		faces[i] = randomFace(rng, i)
	}
	if err := ix.Sync(ctx, photo("in", "crowd.jpg", "e1", faces...)); err != nil {
		t.Fatal(err)
	}
	if got := svc.Stats().Vectors; got != 620 {
		t.Fatalf("%d vectors, want 620", got)
	}
	if err := ix.Sync(ctx, photo("in", "crowd.jpg", "e2", faces[:5]...)); err != nil {
		t.Fatal(err)
	}
	if got := svc.Stats().Vectors; got != 5 {
		t.Fatalf("%d vectors after shrinking to 5 faces, want 5", got)
	}
	if n, err := ix.Remove(ctx, "in", "crowd.jpg"); err != nil || n != 5 {
		t.Fatalf("Remove = %d, %v", n, err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	client, svc, ix := newIndex(t)
	short := result.Face{Descriptor: make([]float32, 127)}
	if err := ix.Sync(ctx, photo("in", "a.jpg", "e", short)); err == nil {
		t.Error("Sync of a 127-value descriptor succeeded")
	}
	if err := ix.Sync(ctx, photo("", "a.jpg", "e")); err == nil {
		t.Error("Sync of a result without a bucket succeeded")
	}
	if svc.Stats().Vectors != 0 {
		t.Error("a refused Sync wrote vectors")
	}
	if _, err := ix.Query(ctx, make([]float32, 128), 101, 1); err == nil {
		t.Error("Query with top 101 succeeded")
	}
	if _, err := vectorindex.New(nil, testBucket, testIndex); err == nil {
		t.Error("New(nil API) succeeded")
	}
	if _, err := vectorindex.New(client, "Bad_Bucket", "ix"); !errors.Is(err, vectorindex.ErrName) {
		t.Errorf("New with bad names: %v, want ErrName", err)
	}
}

// The stand-in refuses what the service refuses, with its error types.
func TestServiceLimitsAndErrors(t *testing.T) {
	ctx := context.Background()
	client, svc, _ := newIndex(t)
	vec := func(key string, n int) types.PutInputVector {
		return types.PutInputVector{Key: aws.String(key), Data: &types.VectorDataMemberFloat32{Value: make([]float32, n)}}
	}
	put := func(vs ...types.PutInputVector) error {
		_, err := client.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex), Vectors: vs})
		return err
	}
	var validation *types.ValidationException
	var notFound *types.NotFoundException
	var conflict *types.ConflictException

	many := make([]types.PutInputVector, 501)
	for i := range many {
		many[i] = vec(vectorindex.Key("b", "k", i), 128)
	}
	if err := put(many...); !errors.As(err, &validation) {
		t.Errorf("PutVectors of 501: %v, want ValidationException", err)
	}
	if err := put(many[:500]...); err != nil {
		t.Errorf("PutVectors of 500: %v", err)
	}
	if err := put(vec("x", 127)); !errors.As(err, &validation) {
		t.Errorf("127 dimensions into a 128-d index: %v, want ValidationException", err)
	}
	nan := vec("nan", 128)
	nan.Data.(*types.VectorDataMemberFloat32).Value[5] = float32(math.NaN())
	if err := put(nan); !errors.As(err, &validation) {
		t.Errorf("NaN value: %v, want ValidationException", err)
	}
	if err := put(vec("ok", 128), vec("ok", 128)); !errors.As(err, &validation) {
		t.Errorf("duplicate keys: %v, want ValidationException", err)
	}
	if got := svc.Stats().Vectors; got != 500 {
		t.Errorf("%d vectors after refused writes, want the 500 accepted", got)
	}

	keys := make([]string, 101)
	for i := range keys {
		keys[i] = vectorindex.Key("b", "k", i)
	}
	if _, err := client.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex), Keys: keys}); !errors.As(err, &validation) {
		t.Errorf("GetVectors of 101 keys: %v, want ValidationException", err)
	}
	q := &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex),
		QueryVector: &types.VectorDataMemberFloat32{Value: make([]float32, 128)}, TopK: aws.Int32(101)}
	if _, err := client.QueryVectors(ctx, q); !errors.As(err, &validation) {
		t.Errorf("topK 101: %v, want ValidationException", err)
	}
	q.TopK = aws.Int32(100)
	if out, err := client.QueryVectors(ctx, q); err != nil || len(out.Vectors) != 100 {
		t.Errorf("topK 100: %v, %v", out, err)
	}
	q.IndexName = aws.String("nope")
	if _, err := client.QueryVectors(ctx, q); !errors.As(err, &notFound) {
		t.Errorf("query of a missing index: %v, want NotFoundException", err)
	}
	if _, err := client.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex),
		DataType: vectorindex.DataType, Dimension: aws.Int32(128), DistanceMetric: vectorindex.DistanceMetric,
	}); !errors.As(err, &conflict) {
		t.Errorf("CreateIndex twice: %v, want ConflictException", err)
	}
	if _, err := client.CreateIndex(ctx, &s3vectors.CreateIndexInput{
		VectorBucketName: aws.String(testBucket), IndexName: aws.String("big"),
		DataType: vectorindex.DataType, Dimension: aws.Int32(4097), DistanceMetric: vectorindex.DistanceMetric,
	}); !errors.As(err, &validation) {
		t.Errorf("dimension 4097: %v, want ValidationException", err)
	}

	// ListVectors pages through everything exactly once, also in segments.
	seen := map[string]int{}
	for seg := range int32(3) {
		p := s3vectors.NewListVectorsPaginator(client, &s3vectors.ListVectorsInput{
			VectorBucketName: aws.String(testBucket), IndexName: aws.String(testIndex),
			MaxResults: aws.Int32(64), SegmentCount: aws.Int32(3), SegmentIndex: seg,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range page.Vectors {
				seen[aws.ToString(v.Key)]++
			}
		}
	}
	if len(seen) != 500 {
		t.Errorf("ListVectors over 3 segments saw %d keys, want 500", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("key %s listed %d times", k, n)
		}
	}
}
