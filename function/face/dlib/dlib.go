package dlib

/*
#cgo CXXFLAGS: -O3 -std=c++14 -Wno-deprecated-declarations -Wno-sign-compare -Wno-psabi
#cgo !static LDFLAGS: -ldlib -lopenblas -lpng16 -ljpeg -lz -lpthread
#cgo static LDFLAGS: -ldlib -lopenblas -lpng16 -ljpeg -lz -lgfortran -lquadmath -lm -lpthread
#include <stdlib.h>
#include "dlib.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// This file is the only Go code that touches C: thin wrappers that convert
// types, free C memory and turn C error strings into Go errors.

var processInit sync.Once

// initProcess runs before the first encoder: OpenBLAS's kernel set
// (DefaultBLAS unless UseBLAS chose), then its thread and malloc settings.
func initProcess() {
	processInit.Do(func() {
		chooseDefaultBLAS()
		C.fv_process_init()
	})
}

// takeMsg converts a malloc'd C message and frees it.
func takeMsg(msg *C.char) string {
	if msg == nil {
		return "no reason given"
	}
	defer C.free(unsafe.Pointer(msg))
	return C.GoString(msg)
}

// cErr converts a malloc'd C message into a Go error and frees it.
func cErr(what string, msg *C.char) error {
	if msg == nil {
		return fmt.Errorf("%s: unknown dlib error", what)
	}
	return fmt.Errorf("%s: %s", what, takeMsg(msg))
}

// net is one worker's private set of dlib models. dlib networks keep
// per-call state, so a net must never be used by two goroutines at once.
type net struct {
	p *C.fv_net
}

func openNet(shape, resnet, hog string) (*net, error) {
	cs, cr, ch := C.CString(shape), C.CString(resnet), C.CString(hog)
	defer C.free(unsafe.Pointer(cs))
	defer C.free(unsafe.Pointer(cr))
	defer C.free(unsafe.Pointer(ch))
	var msg *C.char
	p := C.fv_net_open(cs, cr, ch, &msg)
	if p == nil {
		return nil, cErr("load models", msg)
	}
	return &net{p: p}, nil
}

func (n *net) clone() (*net, error) {
	var msg *C.char
	p := C.fv_net_clone(n.p, &msg)
	if p == nil {
		return nil, cErr("copy models", msg)
	}
	return &net{p: p}, nil
}

func (n *net) loadCNN(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var msg *C.char
	if C.fv_net_load_cnn(n.p, cp, &msg) != 0 {
		return cErr("load CNN detector "+path, msg)
	}
	return nil
}

func (n *net) close() {
	if n.p != nil {
		C.fv_net_close(n.p)
		n.p = nil
	}
}

func saveHOG(path string) error {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var msg *C.char
	if C.fv_hog_save(cp, &msg) != 0 {
		return cErr("save HOG detector "+path, msg)
	}
	return nil
}

// errEmpty guards the C side against zero-length input.
var errEmpty = errors.New("empty input")

// dlibDecode decodes JPEG (jpeg=true, libjpeg as dlib's loader calls it)
// or PNG (dlib's loader) into a new w x h packed RGB buffer; w and h come
// from the file's header, and a file that decodes to another size is an
// error. warning is what libjpeg said about data it decoded around.
func dlibDecode(data []byte, jpeg bool, w, h int) (pix []byte, warning string, err error) {
	if len(data) == 0 {
		return nil, "", errEmpty
	}
	if w <= 0 || h <= 0 {
		return nil, "", fmt.Errorf("image size %dx%d", w, h)
	}
	format := C.int(C.FV_PNG)
	if jpeg {
		format = C.FV_JPEG
	}
	pix = make([]byte, w*h*3)
	var warn, msg *C.char
	rc := C.fv_decode((*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)), format,
		(*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), &warn, &msg)
	runtime.KeepAlive(data)
	runtime.KeepAlive(pix)
	if warn != nil {
		warning = C.GoString(warn)
		C.free(unsafe.Pointer(warn))
	}
	if rc != 0 {
		return nil, warning, cErr("decode", msg)
	}
	return pix, warning, nil
}

type detectorKind int

const (
	kindHOG detectorKind = C.FV_HOG
	kindCNN detectorKind = C.FV_CNN
)

// rect is a dlib rectangle (inclusive right/bottom) with its score.
type rect struct {
	Left, Top, Right, Bottom int
	Confidence               float64
}

func (n *net) detect(pix []byte, w, h, dw, dh int, kind detectorKind, upsample int) ([]rect, error) {
	var out *C.fv_rect
	var count C.int
	var msg *C.char
	rc := C.fv_detect(n.p, (*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), C.int(dw), C.int(dh),
		C.int(kind), C.int(upsample), &out, &count, &msg)
	runtime.KeepAlive(pix)
	if rc != 0 {
		return nil, cErr("detect", msg)
	}
	return takeRects(out, count), nil
}

// takeRects copies a malloc'd C array of count rects and frees it.
func takeRects(out *C.fv_rect, count C.int) []rect {
	defer C.free(unsafe.Pointer(out))
	cr := unsafe.Slice(out, int(count))
	rs := make([]rect, len(cr))
	for i, r := range cr {
		rs[i] = rect{int(r.left), int(r.top), int(r.right), int(r.bottom), float64(r.confidence)}
	}
	return rs
}

func toC(rs []rect) []C.fv_rect {
	out := make([]C.fv_rect, len(rs))
	for i, r := range rs {
		out[i] = C.fv_rect{C.long(r.Left), C.long(r.Top), C.long(r.Right), C.long(r.Bottom), C.double(r.Confidence)}
	}
	return out
}

// landmarks returns 5 (x, y) points per rect, in dlib's 5-point order.
func (n *net) landmarks(pix []byte, w, h int, rs []rect) ([][5][2]int, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	cr := toC(rs)
	parts := make([]C.long, 10*len(rs))
	var msg *C.char
	rc := C.fv_landmarks(n.p, (*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), &cr[0], C.int(len(rs)), &parts[0], &msg)
	runtime.KeepAlive(pix)
	if rc != 0 {
		return nil, cErr("landmarks", msg)
	}
	out := make([][5][2]int, len(rs))
	for i := range out {
		for k := 0; k < 5; k++ {
			out[i][k] = [2]int{int(parts[10*i+2*k]), int(parts[10*i+2*k+1])}
		}
	}
	return out, nil
}

// describe returns a 128-float descriptor per face.
func (n *net) describe(pix []byte, w, h int, rs []rect, shapes [][5][2]int, jitter int) ([][]float32, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	cr := toC(rs)
	parts := make([]C.long, 10*len(rs))
	for i, s := range shapes {
		for k, p := range s {
			parts[10*i+2*k], parts[10*i+2*k+1] = C.long(p[0]), C.long(p[1])
		}
	}
	desc := make([]float32, 128*len(rs))
	var msg *C.char
	rc := C.fv_describe(n.p, (*C.uint8_t)(unsafe.Pointer(&pix[0])), C.int(w), C.int(h), &cr[0], &parts[0],
		C.int(len(rs)), C.int(jitter), (*C.float)(unsafe.Pointer(&desc[0])), &msg)
	runtime.KeepAlive(pix)
	if rc != 0 {
		return nil, cErr("describe", msg)
	}
	out := make([][]float32, len(rs))
	for i := range out {
		out[i] = desc[128*i : 128*(i+1) : 128*(i+1)]
	}
	return out, nil
}
