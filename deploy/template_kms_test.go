package deploy

import (
	"slices"
	"testing"
)

// The platform team's KMS option (issue #28): with KmsKeyArn every
// bucket, queue, the log group and the vector bucket (vectors.yaml)
// encrypt with that key and the roles may use it; without it, AWS-managed
// encryption as before.
const condUseKms = "UseKms"

var kmsActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}

func init() {
	templateChecks = append(templateChecks, check{"kms", checkKMS})
}

func checkKMS(_ *testing.T, tpl map[string]any) (p problems) {
	noValue := ref("AWS::NoValue")
	key := ref("KmsKeyArn")
	p.expect("Conditions.UseKms", at(tpl, "Conditions", condUseKms),
		map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{key, ""}}}})
	for _, id := range []string{idInputBucket, idOutputBucket} {
		p.expect(id+".BucketEncryption", props(tpl, id)["BucketEncryption"], map[string]any{
			"ServerSideEncryptionConfiguration": []any{map[string]any{
				"ServerSideEncryptionByDefault": ifFn(condUseKms, map[string]any{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}, map[string]any{"SSEAlgorithm": "AES256"}),
				"BucketKeyEnabled":              ifFn(condUseKms, true, noValue),
			}},
		})
	}
	for _, id := range []string{idQueue, idIngestQueue, idIngestDLQ} {
		q := props(tpl, id)
		p.expect(id+".KmsMasterKeyId", q["KmsMasterKeyId"], ifFn(condUseKms, key, noValue))
		// SQS refuses both at once.
		p.expect(id+".SqsManagedSseEnabled", q["SqsManagedSseEnabled"], ifFn(condUseKms, noValue, true))
	}
	p.expect("EncoderLogGroup.KmsKeyId", props(tpl, idLogGroup)["KmsKeyId"], ifFn(condUseKms, key, noValue))
	p.expect("FaceIndexStack.Parameters.KmsKeyArn", at(props(tpl, idFaceIndexStack), "Parameters", "KmsKeyArn"), key)
	if !slices.Contains(strs(at(tpl, "Parameters", "KmsKeyArn", "AllowedPattern")), "^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$") {
		p.addf("KmsKeyArn.AllowedPattern %v: want a key ARN or empty", at(tpl, "Parameters", "KmsKeyArn", "AllowedPattern"))
	}
	return p
}

func TestKMSChecksCatchBrokenTemplates(t *testing.T) {
	checksCatch(t, string(readTemplate(t)), []templateMutation{
		{"log group unencrypted", "kms", "      KmsKeyId: !If [UseKms, !Ref KmsKeyArn, !Ref AWS::NoValue]\n", ""},
		{"queue both", "kms", "      SqsManagedSseEnabled: !If [UseKms, !Ref AWS::NoValue, true]\n", "      SqsManagedSseEnabled: true\n"},
		{"bucket keyless", "kms", "              - {SSEAlgorithm: \"aws:kms\", KMSMasterKeyID: !Ref KmsKeyArn}\n", "              - {SSEAlgorithm: \"aws:kms\"}\n"},
		{"role cannot decrypt", "iam", "                    - kms:Decrypt\n", ""},
	})
}
