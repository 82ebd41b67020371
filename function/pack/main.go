package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/facevec/facevec/internal/lambdazip"
)

func main() {
	out := flag.String("o", "", "the zip to write")
	check := flag.Bool("check", false, "only check the zips named as arguments")
	arch := flag.String("arch", "x86_64", "the function's architecture (x86_64 or arm64): bootstrap must be a static executable for it")
	flag.Parse()
	if err := run(*out, *check, *arch, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(out string, check bool, arch string, args []string) error {
	if check {
		for _, p := range args {
			if err := lambdazip.CheckFile(p, lambdazip.WithArchitecture(arch)); err != nil {
				return err
			}
		}
		return nil
	}
	if out == "" || len(args) != 1 {
		return fmt.Errorf("usage: pack -o OUT.zip DIR | pack -check ZIP...")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".function-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, args[0]); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := lambdazip.CheckFile(tmp.Name(), lambdazip.WithArchitecture(arch)); err != nil {
		return fmt.Errorf("%s not written: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
