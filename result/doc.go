// Package result holds the facevec.result/v1 JSON schema shared by the
// encoder, the Lambda function, the CLI and the end-to-end tests, plus the
// small amount of maths users need on descriptors (Distance, Match).
//
// It is pure Go on purpose: the harness and the e2e suite import it without
// pulling in cgo or dlib.
package result
