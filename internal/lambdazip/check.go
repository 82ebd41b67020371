package lambdazip

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
)

// Lambda's package quotas (Lambda developer guide, "Lambda quotas").
const (
	// MaxZipped is the largest zip CreateFunction takes inline: 50 MB.
	MaxZipped = 50 << 20
	// MaxUnzipped is the largest unpacked package, 250 MB, layers included.
	MaxUnzipped = 250 << 20
)

// Sentinels; Check wraps one of them in each finding.
var (
	// ErrUnreadable marks an entry Lambda's unprivileged user could not
	// read (or, for bootstrap, run).
	ErrUnreadable = errors.New("not readable by Lambda's unprivileged user")
	// ErrNotStatic marks a bootstrap that needs a dynamic loader or shared
	// libraries, or is no ELF executable for the function's architecture.
	ErrNotStatic = errors.New("bootstrap is not a static executable for the function's architecture")
	// ErrTooLarge marks a package over a Lambda quota.
	ErrTooLarge = errors.New("over Lambda's package quota")
	// ErrNoBootstrap marks a package without bootstrap at its root.
	ErrNoBootstrap = errors.New("no bootstrap at the package root")
)

// Architecture names as Lambda spells them, with their ELF machines.
var machines = map[string]elf.Machine{
	"x86_64": elf.EM_X86_64,
	"arm64":  elf.EM_AARCH64,
}

// Option configures Check.
type Option func(*config)

type config struct{ arch string }

// WithArchitecture sets the function's architecture, "x86_64" (the
// default, what deploy/template.yaml declares) or "arm64".
func WithArchitecture(arch string) Option { return func(c *config) { c.arch = arch } }

// Check reads the package in r (size bytes) and reports every finding,
// joined; nil means Lambda can run it.
func Check(r io.ReaderAt, size int64, opts ...Option) error {
	cfg := config{arch: "x86_64"}
	for _, o := range opts {
		o(&cfg)
	}
	machine, ok := machines[cfg.arch]
	if !ok {
		return fmt.Errorf("lambdazip: architecture %q: want x86_64 or arm64", cfg.arch)
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return fmt.Errorf("not a zip: %w", err)
	}
	var errs []error
	if size > MaxZipped {
		errs = append(errs, fmt.Errorf("%d bytes zipped, over %d: %w", size, MaxZipped, ErrTooLarge))
	}
	var unzipped uint64
	var bootstrap *zip.File
	for _, f := range zr.File {
		unzipped += f.UncompressedSize64
		m := f.Mode()
		switch {
		case m.IsDir() && m.Perm()&0o005 != 0o005:
			errs = append(errs, fmt.Errorf("%s: mode %v: %w", f.Name, m, ErrUnreadable))
		case !m.IsDir() && m.Perm()&0o004 == 0:
			errs = append(errs, fmt.Errorf("%s: mode %v: %w", f.Name, m, ErrUnreadable))
		case f.Name == "bootstrap":
			bootstrap = f
			if m.Perm()&0o001 == 0 {
				errs = append(errs, fmt.Errorf("bootstrap: mode %v: not executable by others: %w", m, ErrUnreadable))
			}
		}
	}
	if unzipped > MaxUnzipped {
		errs = append(errs, fmt.Errorf("%d bytes unzipped, over %d: %w", unzipped, MaxUnzipped, ErrTooLarge))
	}
	if bootstrap == nil {
		errs = append(errs, ErrNoBootstrap)
	} else if err := checkStatic(bootstrap, cfg.arch, machine); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkStatic reads bootstrap as ELF: a program interpreter (PT_INTERP)
// or a DT_NEEDED library means the binary needs files the runtime lacks.
func checkStatic(f *zip.File, arch string, machine elf.Machine) error {
	if f.UncompressedSize64 > MaxUnzipped {
		return nil // already reported; not worth reading
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("bootstrap: not an ELF executable (%v): %w", err, ErrNotStatic)
	}
	defer ef.Close()
	var errs []error
	if ef.Machine != machine {
		errs = append(errs, fmt.Errorf("bootstrap: built for %v, the function runs on %s: %w", ef.Machine, arch, ErrNotStatic))
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		errs = append(errs, fmt.Errorf("bootstrap: ELF type %v, not an executable: %w", ef.Type, ErrNotStatic))
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			errs = append(errs, fmt.Errorf("bootstrap: dynamically linked (needs a program interpreter): %w", ErrNotStatic))
			break
		}
	}
	if libs, err := ef.ImportedLibraries(); err == nil && len(libs) > 0 {
		errs = append(errs, fmt.Errorf("bootstrap: needs shared libraries %v: %w", libs, ErrNotStatic))
	}
	return errors.Join(errs...)
}

// CheckFile checks the package at path; errors name the file.
func CheckFile(path string, opts ...Option) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := Check(f, fi.Size(), opts...); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
