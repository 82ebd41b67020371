// Command compare reads `go test -bench` output of function/face and the
// JSON lines of bench/native, and prints facevec/native ratios per stage,
// the parallel scaling, every Go benchmark and the goals; with
// -png it also plots time per stage against image size.
//
// Native lines name the OpenBLAS kernel set they ran on ("blas"; lines
// without it are of an unknown set). Every stage is compared with native's
// runs on facevec's pinned set (Haswell) when there are any, else with all
// of them; the descriptor is compared with native on each set it ran on
// (bench/run.sh: OpenBLAS's autodetected set and Haswell), one goal and one
// table row per set.
//
//	go run ./bench/compare -go dist/bench-go.txt -native dist/bench-native.jsonl [-png dist/bench.png] [-zip dist/function.zip]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	goPath := fs.String("go", "", "file with `go test -bench` output (several runs may be appended)")
	nativePath := fs.String("native", "", "file with bench/native JSON lines")
	pngPath := fs.String("png", "", "also write a plot of time per stage per image size to this PNG")
	zipPath := fs.String("zip", "", "the Lambda package (dist/function.zip), for its size goal")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *goPath == "" || *nativePath == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "compare: want -go FILE -native FILE [-png OUT] [-zip FILE] and no other arguments")
		return 2
	}
	c, err := load(*goPath, *nativePath)
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 1
	}
	if *zipPath != "" {
		st, err := os.Stat(*zipPath)
		if err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 1
		}
		c.zipBytes = st.Size()
	}
	c.writeGoals(stdout)
	c.writeStages(stdout)
	c.writeScaling(stdout)
	c.writeAll(stdout)
	if *pngPath != "" {
		var buf bytes.Buffer
		if err := c.writePNG(&buf); err != nil {
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 1
		}
		if err := os.WriteFile(*pngPath, buf.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "compare: write plot: %v\n", err)
			return 1
		}
	}
	return 0
}

func load(goPath, nativePath string) (*comparison, error) {
	gf, err := os.Open(goPath)
	if err != nil {
		return nil, err
	}
	defer gf.Close()
	g, err := parseGo(gf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", goPath, err)
	}
	if len(g.names) == 0 {
		return nil, fmt.Errorf("%s: no benchmark results (did the Go benchmarks run?)", goPath)
	}
	nf, err := os.Open(nativePath)
	if err != nil {
		return nil, err
	}
	defer nf.Close()
	n, err := parseNative(nf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nativePath, err)
	}
	return compare(g, n), nil
}
