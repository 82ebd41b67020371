package dlib

/*
#include <stdlib.h>
#include "blas.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"

	"github.com/facevec/facevec/function/face"
)

// DefaultBLAS is the OpenBLAS kernel set every facevec process runs unless
// told otherwise: the Lambda function, the CLI and the tests. OpenBLAS
// would otherwise pick a set per CPU (Haswell, SkylakeX, Cooperlake, Zen,
// …), and the sets round differently, so one photo's vector would differ
// from one host to the next by about 1e-7 per value. Haswell's kernels
// need AVX2 and FMA, which every x86_64 CPU Lambda runs on has.
const DefaultBLAS = face.DefaultBLAS

// AutoBLAS leaves the choice to OpenBLAS: its detection, or the
// OPENBLAS_CORETYPE variable when set.
const AutoBLAS = "auto"

// Why UseBLAS could not run the set asked for. OpenBLAS then keeps the set
// it ran before.
var (
	// ErrBLASUnknown: not a set this build knows.
	ErrBLASUnknown = errors.New("unknown OpenBLAS kernel set")
	// ErrBLASUnsupported: this CPU lacks the instructions the set uses.
	ErrBLASUnsupported = errors.New("OpenBLAS kernel set not supported by this CPU")
	// ErrBLASNotTaken: OpenBLAS was told to use the set but runs another.
	ErrBLASNotTaken = errors.New("OpenBLAS did not take the kernel set")
	// ErrBLASChosen: the process's kernels were chosen already, by an
	// earlier UseBLAS or the first encoder, and were another set.
	ErrBLASChosen = errors.New("OpenBLAS's kernel set is chosen once per process")
)

// BLASChoice is what the process asked OpenBLAS for and what it runs.
type BLASChoice struct {
	// Requested is the set asked for: DefaultBLAS unless UseBLAS named
	// another, or AutoBLAS.
	Requested string
	// Core is the set OpenBLAS runs, as it names it ("Haswell"); results
	// carry it as model.blas.
	Core string
	// Err says why Core is not Requested; nil when it is, and for AutoBLAS.
	Err error
}

var blas struct {
	sync.Mutex
	chosen bool
	choice BLASChoice
}

// UseBLAS chooses the OpenBLAS kernel set for the whole process: a name as
// OPENBLAS_CORETYPE spells it (any case), or AutoBLAS. The choice is made
// once, before any network runs: call UseBLAS before the first New (which
// otherwise chooses DefaultBLAS). A later call for the same set is a no-op
// and one for another set fails with ErrBLASChosen. On ErrBLASUnknown,
// ErrBLASUnsupported or ErrBLASNotTaken the choice is still made: OpenBLAS
// keeps the set it detected, and CurrentBLAS reports the error.
func UseBLAS(name string) error {
	blas.Lock()
	defer blas.Unlock()
	if blas.chosen {
		if !strings.EqualFold(blas.choice.Requested, name) {
			return fmt.Errorf("%w: asked for %q, already %q (OpenBLAS runs %s)",
				ErrBLASChosen, name, blas.choice.Requested, blas.choice.Core)
		}
		return blas.choice.Err
	}
	blas.chosen = true
	blas.choice = chooseBLAS(name)
	return blas.choice.Err
}

// CurrentBLAS reports the process's choice; before any UseBLAS or New it
// is OpenBLAS's own, with an empty Requested.
func CurrentBLAS() BLASChoice {
	blas.Lock()
	defer blas.Unlock()
	if !blas.chosen {
		return BLASChoice{Core: blasCore()}
	}
	return blas.choice
}

// chooseDefaultBLAS runs at the first New: DefaultBLAS unless UseBLAS
// chose already. Its error is in CurrentBLAS for the caller to report.
func chooseDefaultBLAS() {
	blas.Lock()
	defer blas.Unlock()
	if !blas.chosen {
		blas.chosen = true
		blas.choice = chooseBLAS(DefaultBLAS)
	}
}

func chooseBLAS(name string) BLASChoice {
	c := BLASChoice{Requested: name}
	if strings.EqualFold(name, AutoBLAS) {
		c.Requested = AutoBLAS
		c.Core = blasCore()
		return c
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var msg *C.char
	rc := C.fv_blas_use(cs, &msg)
	c.Core = blasCore()
	if rc != 0 {
		sentinel := ErrBLASNotTaken
		switch rc {
		case C.FV_BLAS_UNKNOWN:
			sentinel = ErrBLASUnknown
		case C.FV_BLAS_UNSUPPORTED:
			sentinel = ErrBLASUnsupported
		}
		c.Err = fmt.Errorf("%w: %s; OpenBLAS runs its %s kernels", sentinel, takeMsg(msg), c.Core)
	}
	return c
}

func blasCore() string { return C.GoString(C.fv_blas_core()) }
