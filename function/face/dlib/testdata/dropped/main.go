// Command dropped checks that an Encoder dropped without Close frees its
// networks: it makes and drops encoders and reports how much C heap is
// still in use once the garbage collector has run. TestDroppedEncoderFreed
// builds and runs it.
//
//	dropped MODELS_DIR
package main

/*
#include <malloc.h>

static size_t in_use(void) { return mallinfo2().uordblks; }
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/facevec/facevec/function/face/dlib"
)

func inUseMB() float64 { return float64(C.in_use()) / (1 << 20) }

func main() {
	dir := os.Args[1]
	open := func() {
		if _, err := dlib.New(dir, dlib.WithWorkers(2)); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	runtime.GC()
	base := inUseMB()
	for range 4 {
		open() // dropped at once, never closed
	}
	// Cleanups run after a collection, on their own goroutine.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && inUseMB()-base > 50 {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("held %.0f MB after dropping 4 encoders of 2 workers\n", inUseMB()-base)
}
