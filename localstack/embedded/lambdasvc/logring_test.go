package lambdasvc

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLogRingKeepsRecentWholeLines(t *testing.T) {
	r := newLogRing(100)
	for i := range 50 {
		r.appendLine([]byte(fmt.Sprintf("line %02d\n", i)))
	}
	got := r.String()
	if len(got) > 100 || !strings.HasPrefix(got, "line ") || !strings.HasSuffix(got, "line 49\n") {
		t.Errorf("ring = %q, want at most 100 bytes of whole, most recent lines", got)
	}
	if n := strings.Count(got, "\n"); n != 12 { // 100 / 8 bytes per line
		t.Errorf("ring holds %d lines, want 12", n)
	}
	zero := newLogRing(0)
	zero.appendLine([]byte("x\n"))
	if zero.String() != "" {
		t.Error("a zero-limit ring keeps output")
	}
}

func TestPipePumpLinesAndFlush(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	p := newPipePump(pr, func(l []byte) { lines <- string(l) })
	go p.run()
	defer pr.Close()

	fmt.Fprint(pw, "one\ntwo\nthr")
	// Flush returns only after the complete lines already in the pipe are
	// out; the unterminated one waits.
	p.flush(5 * time.Second)
	if got := drainLines(lines); got != "one\ntwo\n" {
		t.Errorf("after flush: %q", got)
	}
	fmt.Fprint(pw, "ee\n"+strings.Repeat("y", maxLine+10))
	pw.Close()
	<-p.done
	got := drainLines(lines)
	if !strings.HasPrefix(got, "three\n"+strings.Repeat("y", maxLine)+"\n") || !strings.HasSuffix(got, "yyyyyyyyyy\n") {
		t.Errorf("after EOF: %.80q... (%d bytes), want three, a cut long line, and its rest", got, len(got))
	}
	p.flush(time.Second) // after EOF: returns at once
}

func drainLines(ch chan string) string {
	var b strings.Builder
	for {
		select {
		case l := <-ch:
			b.WriteString(l)
		default:
			return b.String()
		}
	}
}
