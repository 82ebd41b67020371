package deploy

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/facevec/facevec/function/vectorindex"
)

// The faces' S3 Vectors index (issue #19), in the nested vectors.yaml
// (issue #28: CloudFormation refuses AWS::S3Vectors::* in a region without
// S3 Vectors before it evaluates conditions).
const (
	vectorsTemplateFile = "vectors.yaml"
	idFaceIndexStack    = "FaceIndexStack"
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
	for id, r := range mapping(tpl["Resources"]) {
		if typ := fmt.Sprint(at(r, "Type")); strings.HasPrefix(typ, "AWS::S3Vectors::") {
			p.addf("%s is a %s: a region without S3 Vectors would refuse the whole template; it belongs in %s", id, typ, vectorsTemplateFile)
		}
	}
	p.expect(idFaceIndexStack+".Condition", at(tpl, "Resources", idFaceIndexStack, "Condition"), condCreateVecIndex)
	nested := props(tpl, idFaceIndexStack)
	p.expect(idFaceIndexStack+".TemplateURL", nested["TemplateURL"], vectorsTemplateFile)
	p.expect(idFaceIndexStack+".Parameters", nested["Parameters"], map[string]any{
		"VectorBucketName": sub(vectorBucketNameSub), "IndexName": ref("VectorIndex"), "KmsKeyArn": ref("KmsKeyArn"),
	})

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

// checkVectorsTemplate: the nested template's index has the shape of
// dlib's descriptors and their metric, and keeps its vectors when the
// stack is deleted or a property change would replace it.
func checkVectorsTemplate(_ *testing.T, tpl map[string]any) (p problems) {
	rs := mapping(tpl["Resources"])
	want := map[string]string{idVectorBucket: "AWS::S3Vectors::VectorBucket", idFaceIndex: "AWS::S3Vectors::Index"}
	for _, id := range slices.Sorted(maps.Keys(rs)) {
		if want[id] == "" {
			p.addf("unexpected resource %s in %s", id, vectorsTemplateFile)
		}
	}
	for id, typ := range want {
		p.expect(id+".Type", at(rs, id, "Type"), typ)
		p.expect(id+".DeletionPolicy", at(rs, id, "DeletionPolicy"), retainDeletion)
		p.expect(id+".UpdateReplacePolicy", at(rs, id, "UpdateReplacePolicy"), "Retain")
	}
	p.expect("FaceVectorBucket.VectorBucketName", props(tpl, idVectorBucket)["VectorBucketName"], ref("VectorBucketName"))
	ix := props(tpl, idFaceIndex)
	p.expect("FaceIndex.VectorBucketArn", ix["VectorBucketArn"], ref(idVectorBucket))
	p.expect("FaceIndex.IndexName", ix["IndexName"], ref("IndexName"))
	p.expect("FaceIndex.DataType", ix["DataType"], string(vectorindex.DataType))
	p.expect("FaceIndex.Dimension", ix["Dimension"], int64(vectorindex.Dimension))
	p.expect("FaceIndex.DistanceMetric", ix["DistanceMetric"], string(vectorindex.DistanceMetric))
	// The platform team's list (issue #28): the metadata nothing filters
	// by is non-filterable, the rest stays filterable.
	p.expect("FaceIndex.MetadataConfiguration", ix["MetadataConfiguration"],
		map[string]any{"NonFilterableMetadataKeys": []any{vectorindex.MetaETag, vectorindex.MetaBox}})
	// Every parameter the parent passes, and no other.
	params := slices.Sorted(maps.Keys(mapping(tpl["Parameters"])))
	if !slices.Equal(params, []string{"IndexName", "KmsKeyArn", "VectorBucketName"}) {
		p.addf("%s parameters %v, want IndexName, KmsKeyArn and VectorBucketName (what %s passes)", vectorsTemplateFile, params, idFaceIndexStack)
	}
	p.expect("FaceVectorBucket.EncryptionConfiguration", props(tpl, idVectorBucket)["EncryptionConfiguration"],
		ifFn(condUseKms, map[string]any{"SseType": "aws:kms", "KmsKeyArn": ref("KmsKeyArn")}, ref("AWS::NoValue")))
	return p
}

func TestVectorsTemplate(t *testing.T) {
	data, err := os.ReadFile(vectorsTemplateFile)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range checkVectorsTemplate(t, tpl) {
		t.Error(e)
	}
	src := string(data)
	for _, c := range []struct{ name, old, new string }{
		{"index 512-d", "      Dimension: 128\n", "      Dimension: 512\n"},
		{"cosine index", "DistanceMetric: euclidean", "DistanceMetric: cosine"},
		{"key not filterable", "NonFilterableMetadataKeys: [etag, box]", "NonFilterableMetadataKeys: [etag, box, key]"},
		{"index deleted with the stack", "    Type: AWS::S3Vectors::Index\n    DeletionPolicy: RetainExceptOnCreate\n", "    Type: AWS::S3Vectors::Index\n    DeletionPolicy: Delete\n"},
		{"bucket replaced", "    Type: AWS::S3Vectors::VectorBucket\n    DeletionPolicy: RetainExceptOnCreate\n    UpdateReplacePolicy: Retain\n", "    Type: AWS::S3Vectors::VectorBucket\n    DeletionPolicy: RetainExceptOnCreate\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(src, c.old) {
				t.Fatalf("%s no longer contains %q: update this case", vectorsTemplateFile, c.old)
			}
			broken, err := Parse([]byte(strings.Replace(src, c.old, c.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if len(checkVectorsTemplate(t, broken)) == 0 {
				t.Errorf("checkVectorsTemplate passed %s with %s", vectorsTemplateFile, c.name)
			}
		})
	}
}
