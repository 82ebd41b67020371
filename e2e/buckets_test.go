//go:build e2e

package e2e

import (
	"testing"

	"github.com/facevec/facevec/localstack"
)

// TestOneResultPerUpload lists the output bucket: exactly one result per
// image the suite uploaded (and per record it invoked the function with by
// hand), nothing else — no duplicates under other names, no temporary
// objects, no results for keys the notification does not fire for.
func TestOneResultPerUpload(t *testing.T) {
	s := getSuite(t)
	got, err := listKeys(rootCtx, s.stack.S3(), s.outBucket(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := s.ledger.resultKeys()
	missing, extra := diff(want, got)
	for _, k := range missing {
		t.Errorf("no result object %q", k)
	}
	for _, k := range extra {
		t.Errorf("unexpected object %q in the output bucket", k)
	}
	for _, u := range s.uploads {
		if !u.Triggers {
			t.Logf("e2e: %-48q no notification for its suffix, no result (as configured)", u.Key)
		}
	}
	t.Logf("e2e: output bucket holds %d objects, %d expected", len(got), len(want))
}

// TestInputBucketUntouched lists the input bucket: it holds what the suite
// uploaded and nothing else (the function writes only to the output
// bucket, and provisioning removed its staged package).
func TestInputBucketUntouched(t *testing.T) {
	s := getSuite(t)
	got, err := listKeys(rootCtx, s.stack.S3(), s.in(), "")
	if err != nil {
		t.Fatal(err)
	}
	missing, extra := diff(s.ledger.inputKeys(), got)
	for _, k := range missing {
		t.Errorf("uploaded object %q is gone from the input bucket", k)
	}
	for _, k := range extra {
		t.Errorf("object %q appeared in the input bucket; nobody uploaded it", k)
	}
}

// TestDeadLetters checks that no event was given up on. Only the embedded
// backend makes its dead letters visible (as log records of the harness).
func TestDeadLetters(t *testing.T) {
	s := getSuite(t)
	if b := s.stack.Backend(); b != localstack.BackendEmbedded {
		t.Skipf("dead letters are only observable on the embedded backend, not %s", b)
	}
	for _, r := range s.log.deadLetters() {
		t.Errorf("event dropped: %v", r)
	}
}
