// sleeper is the smallest container process the harness tests need: it
// waits for SIGTERM or SIGINT, so a container of it stays up until removed.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
