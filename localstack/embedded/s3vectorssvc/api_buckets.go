package s3vectorssvc

import (
	"net/http"
	"slices"
	"time"
)

func (s *Service) createVectorBucket(r *http.Request) (any, *apiError) {
	var in createBucketIn
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if e := checkBucketName(in.VectorBucketName); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[in.VectorBucketName]; ok {
		return nil, errConflict("The specified vector bucket already exists: %s", in.VectorBucketName)
	}
	b := &vectorBucket{name: in.VectorBucketName, arn: s.bucketARN(in.VectorBucketName), created: time.Now(), indexes: map[string]*index{}}
	s.buckets[b.name] = b
	s.log.Info("vector bucket created", "bucket", b.name)
	return map[string]string{"vectorBucketArn": b.arn}, nil
}

func (s *Service) getVectorBucket(r *http.Request) (any, *apiError) {
	var in target
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, e := s.bucketOf(in.VectorBucketName, in.VectorBucketArn)
	if e != nil {
		return nil, e
	}
	return map[string]any{"vectorBucket": map[string]any{
		"vectorBucketName": b.name, "vectorBucketArn": b.arn, "creationTime": epoch(b.created),
	}}, nil
}

func (s *Service) deleteVectorBucket(r *http.Request) (any, *apiError) {
	var in target
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.bucketOf(in.VectorBucketName, in.VectorBucketArn)
	if e != nil {
		return nil, e
	}
	if len(b.indexes) > 0 {
		return nil, errConflict("The vector bucket %s is not empty: delete its %d indexes first", b.name, len(b.indexes))
	}
	delete(s.buckets, b.name)
	return struct{}{}, nil
}

func (s *Service) createIndex(r *http.Request) (any, *apiError) {
	var in createIndexIn
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	if e := checkIndexName(in.IndexName); e != nil {
		return nil, e
	}
	if in.DataType != "float32" {
		return nil, errValidation("Invalid dataType %q: the only data type is float32", in.DataType)
	}
	if in.Dimension == nil || *in.Dimension < 1 || *in.Dimension > MaxDimension {
		return nil, errValidation("Invalid dimension: must be between 1 and %d", MaxDimension)
	}
	if in.DistanceMetric != "euclidean" && in.DistanceMetric != "cosine" {
		return nil, errValidation("Invalid distanceMetric %q: euclidean or cosine", in.DistanceMetric)
	}
	var nonFilterable []string
	if mc := in.MetadataConfiguration; mc != nil {
		if e := checkCount("nonFilterableMetadataKeys", len(mc.NonFilterableMetadataKeys), MaxNonFilterableKeys); e != nil {
			return nil, e
		}
		nonFilterable = slices.Clone(mc.NonFilterableMetadataKeys)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, e := s.bucketOf(in.VectorBucketName, in.VectorBucketArn)
	if e != nil {
		return nil, e
	}
	if _, ok := b.indexes[in.IndexName]; ok {
		return nil, errConflict("The specified index already exists: %s in vector bucket %s", in.IndexName, b.name)
	}
	ix := &index{
		name: in.IndexName, arn: s.indexARN(b.name, in.IndexName), bucket: b.name, created: time.Now(),
		dimension: *in.Dimension, metric: in.DistanceMetric, nonFilterable: nonFilterable, pos: map[string]int{},
	}
	b.indexes[ix.name] = ix
	s.log.Info("vector index created", "bucket", b.name, "index", ix.name, "dimension", ix.dimension, "metric", ix.metric)
	return map[string]string{"indexArn": ix.arn}, nil
}

func (s *Service) getIndex(r *http.Request) (any, *apiError) {
	var in target
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ix, e := s.indexOf(in)
	if e != nil {
		return nil, e
	}
	desc := map[string]any{
		"vectorBucketName": ix.bucket, "indexName": ix.name, "indexArn": ix.arn, "creationTime": epoch(ix.created),
		"dataType": "float32", "dimension": ix.dimension, "distanceMetric": ix.metric,
	}
	if len(ix.nonFilterable) > 0 {
		desc["metadataConfiguration"] = map[string]any{"nonFilterableMetadataKeys": ix.nonFilterable}
	}
	return map[string]any{"index": desc}, nil
}

func (s *Service) deleteIndex(r *http.Request) (any, *apiError) {
	var in target
	if e := decode(r, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ix, e := s.indexOf(in)
	if e != nil {
		return nil, e
	}
	delete(s.buckets[ix.bucket].indexes, ix.name)
	return struct{}{}, nil
}
