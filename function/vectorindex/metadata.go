package vectorindex

import (
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"

	"github.com/facevec/facevec/result"
)

// Metadata keys written on every vector.
const (
	MetaBucket = "bucket"
	MetaKey    = "key"
	MetaETag   = "etag"
	MetaFace   = "face"
	MetaBox    = "box"
)

// Face is one indexed face as the index describes it.
type Face struct {
	Bucket string     `json:"bucket"`
	Key    string     `json:"key"`
	ETag   string     `json:"etag"`
	Face   int        `json:"face"`
	Box    result.Box `json:"box"`
}

func (f Face) document() document.Interface {
	return document.NewLazyDocument(map[string]any{
		MetaBucket: f.Bucket,
		MetaKey:    f.Key,
		MetaETag:   f.ETag,
		MetaFace:   f.Face,
		MetaBox:    []int{f.Box.Left, f.Box.Top, f.Box.Right, f.Box.Bottom},
	})
}

// faceOf reads a vector's metadata back.
func faceOf(doc document.Interface) (Face, error) {
	if doc == nil {
		return Face{}, fmt.Errorf("vector has no metadata")
	}
	var m struct {
		Bucket string    `document:"bucket"`
		Key    string    `document:"key"`
		ETag   string    `document:"etag"`
		Face   float64   `document:"face"`
		Box    []float64 `document:"box"`
	}
	if err := doc.UnmarshalSmithyDocument(&m); err != nil {
		return Face{}, fmt.Errorf("decode vector metadata: %w", err)
	}
	if m.Bucket == "" || m.Key == "" || len(m.Box) != 4 || m.Face != math.Trunc(m.Face) {
		return Face{}, fmt.Errorf("vector metadata %+v is not facevec's (bucket, key, etag, face, box)", m)
	}
	return Face{
		Bucket: m.Bucket, Key: m.Key, ETag: m.ETag, Face: int(m.Face),
		Box: result.Box{Left: int(m.Box[0]), Top: int(m.Box[1]), Right: int(m.Box[2]), Bottom: int(m.Box[3])},
	}, nil
}
