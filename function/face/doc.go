// Package face holds what the function, the CLI and the harness need to
// know about face encoding without linking dlib: the per-image settings
// (Params: detector, upsample, jitter, limits) and their bounds, the size
// of the copy detection runs on (Params.DetectSize), the model
// files' names and SHA-256 sums, the recognizer's name recorded in every
// result, and where the models are looked up (ModelsDir).
//
// It is pure Go and builds with CGO_ENABLED=0. The encoder itself, the one
// package that imports "C", is face/dlib; images are read by face/imagefmt.
// The settings and the model block they produce are part of the result
// contract (docs/CONTRACT.md, "Result JSON" and "Models").
package face
