// Package deploy holds facevec's real-AWS deployment: template.yaml (one
// CloudFormation stack: buckets, function, trigger, least-privilege role,
// log group, on-failure queue; the face index in the nested vectors.yaml,
// so the main template parses in regions without S3 Vectors),
// deploy.sh / undeploy.sh / smoke.sh behind
// `make deploy` and `make undeploy`, and the Go side that reads the
// template: Parse understands CloudFormation's short-form tags (!Ref, !Sub,
// …) so tests can check the template's structure, and Package does what
// `aws cloudformation package` does to it (the function's Code, and with
// WithTemplateURL a nested stack's TemplateURL) for callers of the
// CloudFormation API (the LocalStack e2e test). deploy.sh does the same
// step itself, since package ignores --endpoint-url; reals3_test.go checks
// both against one run of the real command.
package deploy
