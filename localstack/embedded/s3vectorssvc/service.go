package s3vectorssvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Service is the S3 Vectors API over in-memory indexes. It is safe for
// concurrent use.
type Service struct {
	region, accountID string
	log               *slog.Logger
	mux               *http.ServeMux

	mu      sync.RWMutex
	buckets map[string]*vectorBucket
}

// New returns an empty service for region and accountID (12 digits).
func New(region, accountID string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	s := &Service{region: region, accountID: accountID, log: log.With("service", "s3vectors"), buckets: map[string]*vectorBucket{}}
	ops := map[string]func(*http.Request) (any, *apiError){
		"CreateVectorBucket": s.createVectorBucket,
		"GetVectorBucket":    s.getVectorBucket,
		"DeleteVectorBucket": s.deleteVectorBucket,
		"CreateIndex":        s.createIndex,
		"GetIndex":           s.getIndex,
		"DeleteIndex":        s.deleteIndex,
		"PutVectors":         s.putVectors,
		"GetVectors":         s.getVectors,
		"DeleteVectors":      s.deleteVectors,
		"ListVectors":        s.listVectors,
		"QueryVectors":       s.queryVectors,
	}
	s.mux = http.NewServeMux()
	for name, op := range ops {
		s.mux.HandleFunc("POST /"+name, func(w http.ResponseWriter, r *http.Request) {
			out, e := op(r)
			if e != nil {
				s.log.Info("request refused", "op", name, "code", e.code, "error", e.msg)
				writeError(w, e)
				return
			}
			writeJSON(w, out)
		})
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotImplemented("%s %s: the embedded stack serves the S3 Vectors operations facevec uses only", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP serves one S3 Vectors request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// decode reads a JSON request body of at most MaxRequestBytes.
func decode(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		return errValidation("reading the request body: %v", err)
	}
	if len(body) > MaxRequestBytes {
		return errValidation("Request payload exceeds the limit of %d bytes", MaxRequestBytes)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return errValidation("malformed JSON request body: %v", err)
		}
		return errValidation("invalid request body: %v", err)
	}
	return nil
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// bucketOf finds a bucket named by name or ARN; the caller holds s.mu.
func (s *Service) bucketOf(name, arn string) (*vectorBucket, *apiError) {
	switch {
	case name != "" && arn != "":
		return nil, errValidation("Specify either vectorBucketName or vectorBucketArn, not both")
	case arn != "":
		m := bucketARNRE.FindStringSubmatch(arn)
		if m == nil {
			return nil, errValidation("Invalid vector bucket ARN %q", arn)
		}
		name = m[1]
	case name == "":
		return nil, errValidation("A vector bucket name or ARN is required")
	}
	if e := checkBucketName(name); e != nil {
		return nil, e
	}
	b, ok := s.buckets[name]
	if !ok {
		return nil, errNotFound("The specified vector bucket could not be found: %s", name)
	}
	return b, nil
}

// indexOf finds the index a request names: indexArn, or vectorBucketName
// (or vectorBucketArn) and indexName. The caller holds s.mu.
func (s *Service) indexOf(t target) (*index, *apiError) {
	bucket, arn := t.VectorBucketName, t.VectorBucketArn
	name := t.IndexName
	if t.IndexArn != "" {
		if bucket != "" || arn != "" || name != "" {
			return nil, errValidation("Specify either indexArn, or the vector bucket and indexName, not both")
		}
		m := indexARNRE.FindStringSubmatch(t.IndexArn)
		if m == nil {
			return nil, errValidation("Invalid index ARN %q", t.IndexArn)
		}
		bucket, name = m[1], m[2]
	}
	if name == "" {
		return nil, errValidation("An indexName (with the vector bucket) or an indexArn is required")
	}
	b, e := s.bucketOf(bucket, arn)
	if e != nil {
		return nil, e
	}
	if e := checkIndexName(name); e != nil {
		return nil, e
	}
	ix, ok := b.indexes[name]
	if !ok {
		return nil, errNotFound("The specified index could not be found: %s in vector bucket %s", name, b.name)
	}
	return ix, nil
}

// Stats is the content of the service, for tests and logs.
type Stats struct {
	Buckets, Indexes, Vectors int
}

// Stats counts buckets, indexes and vectors.
func (s *Service) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var st Stats
	for _, b := range s.buckets {
		st.Buckets++
		for _, ix := range b.indexes {
			st.Indexes++
			st.Vectors += len(ix.keys)
		}
	}
	return st
}

// String describes the service for logs.
func (s *Service) String() string { return fmt.Sprintf("s3vectors %s", s.region) }
