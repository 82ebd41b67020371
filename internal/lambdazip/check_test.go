package lambdazip_test

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/facevec/facevec/internal/lambdazip"
	"github.com/facevec/facevec/internal/lambdazip/lambdaziptest"
)

type entry = lambdaziptest.Entry

func ent(name string, mode os.FileMode, data []byte) entry {
	return entry{Name: name, Mode: mode, Data: data}
}

func check(data []byte, opts ...lambdazip.Option) error {
	return lambdazip.Check(bytes.NewReader(data), int64(len(data)), opts...)
}

func TestCheckAcceptsAGoodPackage(t *testing.T) {
	if err := check(lambdaziptest.Package(t, "good")); err != nil {
		t.Fatalf("Check of a good package: %v", err)
	}
}

func TestCheckRefusesWhatLambdaCannotRead(t *testing.T) {
	boot := lambdaziptest.StaticExecutable(t)
	tests := []struct {
		name    string
		entries []entry
		want    string
		is      error
	}{
		{"0600 model file", []entry{ent("bootstrap", 0o755, boot), ent("models/frontal_face_detector.dat", 0o600, nil)}, "models/frontal_face_detector.dat", lambdazip.ErrUnreadable},
		{"private bootstrap", []entry{ent("bootstrap", 0o700, boot)}, "bootstrap", lambdazip.ErrUnreadable},
		{"bootstrap not executable", []entry{ent("bootstrap", 0o644, boot)}, "not executable", lambdazip.ErrUnreadable},
		{"closed directory", []entry{ent("bootstrap", 0o755, boot), ent("models/", os.ModeDir|0o700, nil)}, "models/", lambdazip.ErrUnreadable},
		{"no bootstrap", []entry{ent("main", 0o755, boot)}, "no bootstrap", lambdazip.ErrNoBootstrap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(lambdaziptest.Zip(t, tt.entries...))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, tt.is) {
				t.Fatalf("Check = %v, want %v naming %q", err, tt.is, tt.want)
			}
		})
	}
}

// setMachine returns a copy of an ELF file with another e_machine.
func setMachine(t *testing.T, exe []byte, m elf.Machine) []byte {
	t.Helper()
	out := bytes.Clone(exe)
	binary.LittleEndian.PutUint16(out[18:20], uint16(m)) // e_machine, ELF64 little-endian
	return out
}

func TestCheckRefusesABootstrapLambdaCannotRun(t *testing.T) {
	boot := lambdaziptest.StaticExecutable(t)
	// A dynamically linked program of the build host: what `go build` with
	// cgo gives without -extldflags -static.
	dynamic, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skipf("no /bin/sh to serve as a dynamic executable: %v", err)
	}
	tests := []struct {
		name string
		boot []byte
		opts []lambdazip.Option
		want string
	}{
		{"dynamic", dynamic, nil, "dynamically linked"},
		{"arm64 binary, x86_64 function", setMachine(t, boot, elf.EM_AARCH64), nil, "built for EM_AARCH64"},
		{"x86_64 binary, arm64 function", boot, []lambdazip.Option{lambdazip.WithArchitecture("arm64")}, "built for EM_X86_64"},
		{"shell script", []byte("#!/bin/sh\nexec ./main\n"), nil, "not an ELF executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := check(lambdaziptest.Zip(t, entry{Name: "bootstrap", Mode: 0o755, Data: tt.boot}), tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, lambdazip.ErrNotStatic) {
				t.Fatalf("Check = %v, want ErrNotStatic naming %q", err, tt.want)
			}
		})
	}
	if err := check(lambdaziptest.Zip(t, entry{Name: "bootstrap", Mode: 0o755, Data: boot}), lambdazip.WithArchitecture("mips")); err == nil {
		t.Error("Check with architecture mips: no error")
	}
}

func TestCheckRefusesPackagesOverQuota(t *testing.T) {
	boot := lambdaziptest.StaticExecutable(t)
	t.Run("zipped", func(t *testing.T) {
		// Stored, not deflated: the zip itself is over 50 MiB.
		big := entry{Name: "models/big.dat", Mode: 0o644, Data: make([]byte, lambdazip.MaxZipped), Stored: true}
		err := check(lambdaziptest.Zip(t, ent("bootstrap", 0o755, boot), big))
		if !errors.Is(err, lambdazip.ErrTooLarge) || !strings.Contains(err.Error(), "zipped") {
			t.Fatalf("Check = %v, want ErrTooLarge for the zip", err)
		}
	})
	t.Run("unzipped", func(t *testing.T) {
		// The central directory is what Lambda (and Check) sizes by: a raw
		// entry that claims 250 MiB + 1 unpacked.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Store}
		hdr.SetMode(0o755)
		w, err := zw.CreateHeader(hdr)
		if err == nil {
			_, err = w.Write(boot)
		}
		if err != nil {
			t.Fatal(err)
		}
		big := &zip.FileHeader{Name: "models/big.dat", Method: zip.Deflate, CompressedSize64: 1, UncompressedSize64: lambdazip.MaxUnzipped + 1}
		big.SetMode(0o644)
		if w, err = zw.CreateRaw(big); err == nil {
			_, err = w.Write([]byte{0})
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		err = check(buf.Bytes())
		if !errors.Is(err, lambdazip.ErrTooLarge) || !strings.Contains(err.Error(), "unzipped") {
			t.Fatalf("Check = %v, want ErrTooLarge for the unpacked size", err)
		}
	})
}

func TestCheckFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(p, []byte("not a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := lambdazip.CheckFile(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("CheckFile = %v, want an error naming %s", err, p)
	}
	if err := lambdazip.CheckFile(filepath.Join(t.TempDir(), "missing.zip")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("CheckFile of a missing file = %v, want ErrNotExist", err)
	}
}
