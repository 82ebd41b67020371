// Package s3vectorssvc is the Amazon S3 Vectors part of the embedded AWS
// stand-in: an http.Handler serving the service's REST-JSON API (POST
// /<Operation>, SigV4 service name "s3vectors") from memory, with exact
// nearest-neighbour search where the service is approximate.
//
// Operations: CreateVectorBucket, GetVectorBucket, DeleteVectorBucket,
// CreateIndex, GetIndex, DeleteIndex, PutVectors, GetVectors,
// DeleteVectors, ListVectors and QueryVectors (without metadata filters).
// Any other operation gets a 501 naming it.
//
// The service's documented limits are enforced with its error types
// (ValidationException 400, NotFoundException 404, ConflictException 409):
// names of 3–63 characters, dimension 1–4096, float32 only, euclidean or
// cosine, keys of 1–1024 bytes, at most 500 vectors per PutVectors and
// DeleteVectors, 100 keys per GetVectors, topK 1–100, 1,000 vectors per
// ListVectors page and 16 segments, 20 MiB per request, 40 KB of metadata
// per vector of which 2 KB filterable, 50 metadata keys. Values that are
// not finite are refused, and so is a zero vector in a cosine index.
package s3vectorssvc
