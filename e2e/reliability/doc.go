//go:build e2e

// Package reliability holds facevec's reliability and security end-to-end
// tests (issue 7): bad input through the whole pipeline, a burst of
// uploads with redelivery, S3 faults, a killed function process, a
// function that runs out of time, and log and listener hygiene.
//
// The tests deploy the real function package (dist/function.zip, or
// $FACEVEC_ZIP) to the embedded AWS stand-in, which is the only backend
// that can inject S3 faults, expose dead letters and let a test find and
// kill the function's process; they therefore always run on it, whatever
// E2E_BACKEND says. Run them with
//
//	make package
//	FACEVEC_ZIP=$PWD/dist/function.zip go test -tags e2e -count=1 -v ./e2e/reliability/
//
// Every wait is bounded; the whole package takes a few minutes on two cores.
package reliability
