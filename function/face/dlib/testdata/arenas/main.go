// Command arenas reports how many glibc malloc arenas a process that links
// the face package ends up with after 32 OS threads have each allocated:
// 1 when the package's constructor set M_ARENA_MAX before the Go runtime
// started its threads. TestMallocArenas builds and runs it.
package main

/*
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return -1;
	malloc_info(0, f);
	fclose(f);
	int n = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return n;
}

static void touch(void) {
	void *p = malloc(4096);
	memset(p, 1, 4096);
	free(p);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"

	_ "github.com/facevec/facevec/function/face/dlib"
)

func main() {
	var wg sync.WaitGroup
	hold := make(chan struct{})
	for range 32 {
		wg.Add(1)
		go func() {
			// Each goroutine on its own OS thread, all alive at once.
			runtime.LockOSThread()
			C.touch()
			wg.Done()
			<-hold
		}()
	}
	wg.Wait()
	fmt.Println(int(C.arenas()))
	close(hold)
}
