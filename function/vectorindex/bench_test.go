package vectorindex_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/facevec/facevec/result"
)

// BenchmarkQuery100k measures one QueryVectors round trip (SDK client →
// loopback HTTP → exact search in the embedded stand-in) over an index of
// 100,000 faces, the size the README's "scale on paper" quotes:
//
//	go test -run '^$' -bench Query100k -benchtime 50x ./vectorindex
func BenchmarkQuery100k(b *testing.B) {
	const photos, facesPer = 25_000, 4
	ctx := context.Background()
	_, svc, ix := newIndex(b)
	rng := rand.New(rand.NewPCG(7, 8))
	start := time.Now()
	var probe result.Face
	for p := range photos {
		faces := make([]result.Face, facesPer)
		for i := range faces {
			faces[i] = randomFace(rng, i)
		}
		if p == photos/2 {
			probe = faces[1]
		}
		if err := ix.Sync(ctx, photo("photos", fmt.Sprintf("album-%03d/img_%05d.jpg", p%500, p), "etag", faces...)); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("indexed %d vectors in %s", svc.Stats().Vectors, time.Since(start).Round(time.Millisecond))

	// The probe, moved a little: a second photo of the same face.
	q := append([]float32(nil), probe.Descriptor...)
	for i := range q {
		q[i] += float32(rng.NormFloat64() * 0.01)
	}
	m, err := ix.Query(ctx, q, 10, result.DefaultTolerance)
	if err != nil {
		b.Fatal(err)
	}
	for _, x := range m {
		b.Logf("match: %.4f s3://%s/%s face %d box %+v", x.Distance, x.Bucket, x.Key, x.Face.Face, x.Box)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := ix.Query(ctx, q, 10, result.DefaultTolerance); err != nil {
			b.Fatal(err)
		}
	}
}
