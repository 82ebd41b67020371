package s3vectorssvc

import (
	"encoding/json"
	"fmt"
	"math"
)

// Request and response bodies, with the service's JSON member names.

// target names an index or a bucket: by name or by ARN.
type target struct {
	VectorBucketName string `json:"vectorBucketName"`
	VectorBucketArn  string `json:"vectorBucketArn"`
	IndexName        string `json:"indexName"`
	IndexArn         string `json:"indexArn"`
}

type vectorData struct {
	Float32 floats `json:"float32"`
}

// floats is a float32 array as the SDKs write it: numbers, and the strings
// "NaN", "Infinity" and "-Infinity" for values JSON has no number for (so
// that those reach validation and get its error, not a parse error).
type floats []float32

func (f *floats) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make([]float32, len(raw))
	for i, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			switch s {
			case "NaN":
				out[i] = float32(math.NaN())
			case "Infinity":
				out[i] = float32(math.Inf(1))
			case "-Infinity":
				out[i] = float32(math.Inf(-1))
			default:
				return fmt.Errorf("element %d: %q is not a number", i, s)
			}
			continue
		}
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	*f = out
	return nil
}

type inputVector struct {
	Key      string          `json:"key"`
	Data     *vectorData     `json:"data"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

type outputVector struct {
	Key      string          `json:"key"`
	Data     *vectorData     `json:"data,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Distance *float32        `json:"distance,omitempty"`
}

type createBucketIn struct {
	VectorBucketName string `json:"vectorBucketName"`
}

type createIndexIn struct {
	target
	DataType              string `json:"dataType"`
	Dimension             *int   `json:"dimension"`
	DistanceMetric        string `json:"distanceMetric"`
	MetadataConfiguration *struct {
		NonFilterableMetadataKeys []string `json:"nonFilterableMetadataKeys"`
	} `json:"metadataConfiguration"`
}

type putVectorsIn struct {
	target
	Vectors []inputVector `json:"vectors"`
}

type keysIn struct {
	target
	Keys           []string `json:"keys"`
	ReturnData     bool     `json:"returnData"`
	ReturnMetadata bool     `json:"returnMetadata"`
}

type listVectorsIn struct {
	target
	MaxResults     *int   `json:"maxResults"`
	NextToken      string `json:"nextToken"`
	ReturnData     bool   `json:"returnData"`
	ReturnMetadata bool   `json:"returnMetadata"`
	SegmentCount   *int   `json:"segmentCount"`
	SegmentIndex   *int   `json:"segmentIndex"`
}

type queryVectorsIn struct {
	target
	TopK           *int            `json:"topK"`
	QueryVector    *vectorData     `json:"queryVector"`
	Filter         json.RawMessage `json:"filter"`
	ReturnMetadata bool            `json:"returnMetadata"`
	ReturnDistance bool            `json:"returnDistance"`
}

type vectorsOut struct {
	Vectors        []outputVector `json:"vectors"`
	NextToken      string         `json:"nextToken,omitempty"`
	DistanceMetric string         `json:"distanceMetric,omitempty"`
}
