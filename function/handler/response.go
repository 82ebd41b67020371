package handler

import "github.com/facevec/facevec/result"

// Skip reasons reported in Summary.Skipped.
const (
	// SkipNotCreated: the event is not an ObjectCreated:* event.
	SkipNotCreated = "not_object_created"
	// SkipOutputPrefix: the key is under OUTPUT_PREFIX in the output bucket,
	// i.e. a result of ours; processing it would recurse.
	SkipOutputPrefix = "output_prefix"
	// SkipAlreadyEncoded: the result already holds this source ETag.
	SkipAlreadyEncoded = "already_encoded"
	// SkipFolderMarker: a zero-byte key ending in '/', which the S3 console
	// creates for "folders".
	SkipFolderMarker = "folder_marker"
	// SkipObjectBack: an ObjectRemoved event for a key that exists again;
	// the new object's ObjectCreated event indexes it.
	SkipObjectBack = "object_exists"
	// SkipSuperseded: the object was replaced by a newer upload before the
	// result could be written; that upload's own event writes its result.
	SkipSuperseded = "superseded"
)

// Response is what an invocation returns:
// {"results": [<summary per record>], "failed": [<keys>]}.
type Response struct {
	Results []Summary `json:"results"`
	// Failed lists the (decoded) keys of the records that ended in an error,
	// whether an error result was written or nothing could be.
	Failed []string `json:"failed"`
}

// Summary is the outcome of one event record.
type Summary struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	// ResultKey is where the result is (or would have been) written, in
	// ResultBucket.
	ResultKey    string `json:"result_key,omitempty"`
	ResultBucket string `json:"result_bucket,omitempty"`
	ETag         string `json:"etag,omitempty"`
	Faces        int    `json:"faces"`
	// RemovedVectors counts the vectors an ObjectRemoved event deleted
	// from the vector index.
	RemovedVectors int `json:"removed_vectors,omitempty"`
	// Error is the result's error code, or null.
	Error *result.Code `json:"error"`
	// Skipped is one of the Skip* reasons when the record was not processed.
	Skipped string `json:"skipped,omitempty"`
	// Message explains an error or a skip in plain words.
	Message string `json:"message,omitempty"`
	// Retryable marks a failure that made the invocation return an error
	// so that Lambda delivers the event again.
	Retryable bool `json:"retryable,omitempty"`
	// encodeMS is the encode time of a result written now (decode to
	// descriptors), for the EMF metrics; not in the response.
	encodeMS float64
}

func (s *Summary) setError(code result.Code, msg string) {
	s.Error = &code
	s.Message = msg
}
