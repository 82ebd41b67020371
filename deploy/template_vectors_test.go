package deploy

import (
	"testing"

	"github.com/facevec/facevec/function/vectorindex"
)

// The faces' S3 Vectors index (issue #19).
const (
	idVectorBucket      = "FaceVectorBucket"
	idFaceIndex         = "FaceIndex"
	condIndexFaces      = "IndexFaces"
	condCreateVecIndex  = "CreateVectorIndex"
	vectorBucketNameSub = "${AWS::StackName}-${AWS::AccountId}-${AWS::Region}-vectors"
)

// vectorBucketName is the vector bucket's name wherever it is needed: the
// stack's own, or ExistingVectorBucket.
var vectorBucketName = ifFn(condCreateVecIndex, sub(vectorBucketNameSub), ref("ExistingVectorBucket"))

// faceIndexARN is the one resource the role's s3vectors actions are on.
var faceIndexARN = subVars("arn:${AWS::Partition}:s3vectors:${AWS::Region}:${AWS::AccountId}:bucket/${Bucket}/index/${VectorIndex}",
	map[string]any{"Bucket": vectorBucketName})

// first is the first element of a list, nil for none.
func first(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

// whenTrue is the statement a conditional policy statement grants when its
// condition holds; the other branch must grant nothing.
func whenTrue(p *problems, where string, st any) any {
	f := list(at(st, "Fn::If"))
	if f == nil {
		return st
	}
	if len(f) != 3 || !same(f[2], ref("AWS::NoValue")) {
		p.addf("%s: conditional statement %s: want Fn::If [condition, statement, AWS::NoValue]", where, canon(st))
		return nil
	}
	return f[1]
}

// checkVectorIndex: the index has the shape of dlib's descriptors and
// their metric, is created only when asked for, and the input bucket sends
// removals to the function when faces are indexed.
func checkVectorIndex(_ *testing.T, tpl map[string]any) (p problems) {
	p.expect("Conditions."+condIndexFaces, at(tpl, "Conditions", condIndexFaces),
		map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("VectorIndex"), ""}}}})
	p.expect("Conditions."+condCreateVecIndex, at(tpl, "Conditions", condCreateVecIndex),
		map[string]any{"Fn::And": []any{map[string]any{"Condition": condIndexFaces}, map[string]any{"Fn::Equals": []any{ref("ExistingVectorBucket"), ""}}}})
	for _, id := range []string{idVectorBucket, idFaceIndex} {
		p.expect(id+".Condition", at(tpl, "Resources", id, "Condition"), condCreateVecIndex)
	}
	p.expect("FaceVectorBucket.VectorBucketName", props(tpl, idVectorBucket)["VectorBucketName"], sub(vectorBucketNameSub))
	ix := props(tpl, idFaceIndex)
	p.expect("FaceIndex.VectorBucketArn", ix["VectorBucketArn"], ref(idVectorBucket))
	p.expect("FaceIndex.IndexName", ix["IndexName"], ref("VectorIndex"))
	p.expect("FaceIndex.DataType", ix["DataType"], string(vectorindex.DataType))
	p.expect("FaceIndex.Dimension", ix["Dimension"], int64(vectorindex.Dimension))
	p.expect("FaceIndex.DistanceMetric", ix["DistanceMetric"], string(vectorindex.DistanceMetric))

	// Removals go where creations go: to the function, or to the queue
	// when buffered (LambdaConfigurations is !If [Buffered, none, list],
	// QueueConfigurations !If [Buffered, list, none]).
	nc := props(tpl, idInputBucket)["NotificationConfiguration"]
	for _, c := range []struct {
		list   any
		target map[string]any
	}{
		{at(at(nc, "LambdaConfigurations"), "Fn::If"), map[string]any{"Event": "s3:ObjectRemoved:*", "Function": getAtt(idFunction, "Arn")}},
		{at(at(nc, "QueueConfigurations"), "Fn::If"), map[string]any{"Event": "s3:ObjectRemoved:*", "Queue": getAtt(idIngestQueue, "Arn")}},
	} {
		branches := list(c.list)
		var removal []any
		for _, b := range branches {
			for _, e := range list(b) {
				if at(e, "Fn::If") != nil {
					removal = append(removal, e)
				}
			}
		}
		want := ifFn(condIndexFaces, c.target, ref("AWS::NoValue"))
		if len(removal) != 1 || !same(removal[0], want) {
			p.addf("input bucket removal subscription %s, want one %s", canon(removal), canon(want))
		}
	}
	return p
}
