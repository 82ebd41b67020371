package provision

import (
	"strings"
	"testing"
)

func validSpec() Spec {
	return Spec{InputBucket: "faces-in", FunctionName: "facevec", ZipPath: "function.zip"}
}

func TestSpecDefaults(t *testing.T) {
	s := validSpec().withDefaults()
	if s.OutputBucket != "faces-in" || s.CodeBucket != "faces-in" || s.OutputPrefix != "encodings/" {
		t.Errorf("buckets/prefix defaults: %+v", s)
	}
	if s.MemoryMB != DefaultMemoryMB || s.TimeoutS != DefaultTimeoutS || s.RoleARN != DefaultRoleARN || s.Architecture != "x86_64" {
		t.Errorf("function defaults: %+v", s)
	}
	if len(s.Suffixes) != len(DefaultSuffixes) || len(DefaultSuffixes) != 22 {
		t.Errorf("default suffixes: %v", s.Suffixes)
	}
	if err := s.validate(); err != nil {
		t.Errorf("defaulted minimal spec invalid: %v", err)
	}
	env := s.env()
	if env["OUTPUT_BUCKET"] != "faces-in" || env["OUTPUT_PREFIX"] != "encodings/" {
		t.Errorf("env = %v", env)
	}
	if got := s.buckets(); strings.Join(got, ",") != "faces-in" {
		t.Errorf("buckets = %v", got)
	}
	s2 := Spec{InputBucket: "in", OutputBucket: "out", CodeBucket: "in", FunctionName: "f", ZipPath: "z"}.withDefaults()
	if got := s2.buckets(); strings.Join(got, ",") != "in,out" {
		t.Errorf("buckets = %v", got)
	}
}

// DefaultSuffixes must themselves pass the overlap rules S3 applies.
func TestDefaultSuffixesDoNotOverlap(t *testing.T) {
	s := validSpec().withDefaults()
	if err := s.validateSuffixes(); err != nil {
		t.Fatal(err)
	}
}

func TestSpecDefaultsDoNotAliasCaller(t *testing.T) {
	in := validSpec()
	in.Env = map[string]string{"DETECTOR": "hog"}
	s := in.withDefaults()
	s.Env["DETECTOR"] = "cnn"
	_ = s.env()
	if in.Env["DETECTOR"] != "hog" || len(in.Env) != 1 {
		t.Errorf("caller's Env modified: %v", in.Env)
	}
}

func TestSpecValidate(t *testing.T) {
	i32 := func(v int32) *int32 { return &v }
	tests := []struct {
		name   string
		mutate func(*Spec)
		want   string // substring of the error; "" = valid
	}{
		{"minimal", func(*Spec) {}, ""},
		{"all set", func(s *Spec) {
			s.OutputBucket, s.CodeBucket, s.OutputPrefix = "faces-out", "faces-code", "vectors/"
			s.Env = map[string]string{"DETECTOR": "cnn", "OUTPUT_BUCKET": "faces-out"}
			s.MemoryMB, s.TimeoutS, s.MaxRetryAttempts = 3008, 900, i32(0)
			s.RoleARN = "arn:aws:iam::123456789012:role/facevec"
			s.Architecture, s.SourceAccount = "arm64", "123456789012"
			s.Suffixes = []string{".jpg", ".png"}
		}, ""},
		{"no input bucket", func(s *Spec) { s.InputBucket = "" }, "InputBucket is empty"},
		{"upper-case bucket", func(s *Spec) { s.InputBucket = "Faces" }, "not a valid S3 bucket name"},
		{"short bucket", func(s *Spec) { s.OutputBucket = "ab" }, "OutputBucket"},
		{"ip bucket", func(s *Spec) { s.CodeBucket = "192.168.1.1" }, "CodeBucket"},
		{"double dot", func(s *Spec) { s.InputBucket = "a..b" }, "not a valid S3 bucket name"},
		{"bad function", func(s *Spec) { s.FunctionName = "face vec" }, "FunctionName"},
		{"no function", func(s *Spec) { s.FunctionName = "" }, "FunctionName"},
		{"no zip", func(s *Spec) { s.ZipPath = "" }, "ZipPath is empty"},
		{"slash prefix", func(s *Spec) { s.OutputPrefix = "/enc/" }, "leading slash"},
		{"memory", func(s *Spec) { s.MemoryMB = 64 }, "MemoryMB"},
		{"timeout", func(s *Spec) { s.TimeoutS = 901 }, "TimeoutS"},
		{"role", func(s *Spec) { s.RoleARN = "facevec-role" }, "RoleARN"},
		{"arch", func(s *Spec) { s.Architecture = "riscv64" }, "Architecture"},
		{"retries", func(s *Spec) { s.MaxRetryAttempts = i32(3) }, "MaxRetryAttempts"},
		{"negative retries", func(s *Spec) { s.MaxRetryAttempts = i32(-1) }, "MaxRetryAttempts"},
		{"account", func(s *Spec) { s.SourceAccount = "12345" }, "SourceAccount"},
		{"reserved env", func(s *Spec) { s.Env = map[string]string{"AWS_REGION": "x"} }, "reserved"},
		{"bad env key", func(s *Spec) { s.Env = map[string]string{"1X": "x"} }, "not a valid variable name"},
		{"conflicting OUTPUT_BUCKET", func(s *Spec) { s.Env = map[string]string{"OUTPUT_BUCKET": "elsewhere"} }, "contradicts OutputBucket"},
		{"conflicting OUTPUT_PREFIX", func(s *Spec) { s.Env = map[string]string{"OUTPUT_PREFIX": "x/"} }, "contradicts OutputPrefix"},
		{"empty suffix list", func(s *Spec) { s.Suffixes = []string{} }, "Suffixes is empty"},
		{"empty suffix", func(s *Spec) { s.Suffixes = []string{".jpg", ""} }, "empty suffix"},
		{"duplicate suffix", func(s *Spec) { s.Suffixes = []string{".jpg", ".png", ".jpg"} }, "listed twice"},
		{"overlapping suffixes", func(s *Spec) { s.Suffixes = []string{".tiff", "ff"} }, "overlap"},
		{"zip suffix", func(s *Spec) { s.Suffixes = []string{".zip"} }, "staged deployment zip"},
		{"json suffix", func(s *Spec) { s.Suffixes = []string{"json"} }, "trigger itself"},
		{"several errors at once", func(s *Spec) { s.InputBucket = "X"; s.MemoryMB = 1 }, "MemoryMB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validSpec()
			tt.mutate(&s)
			err := s.withDefaults().validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSpecTriggers(t *testing.T) {
	s := Spec{}
	for key, want := range map[string]bool{
		"a.jpg": true, "IMG_1.JPG": true, "phone.heic": true, "x/y z.png": true,
		"doc.pdf": false, "a.Jpg": false, "encodings/a.jpg.json": false, "noext": false,
	} {
		if got := s.Triggers(key); got != want {
			t.Errorf("Triggers(%q) = %v, want %v", key, got, want)
		}
	}
	if (Spec{Suffixes: []string{".png"}}).Triggers("a.jpg") {
		t.Error("custom suffixes ignored")
	}
}
