package handler_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/facevec/facevec/function/handler"
)

func TestConfigFromEnv(t *testing.T) {
	modelsDir := t.TempDir()
	def := handler.DefaultConfig()
	with := func(f func(*handler.Config)) handler.Config {
		c := def
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    handler.Config
		wantErr []string // variables the error must name
	}{
		{name: "defaults", env: nil, want: def},
		{name: "whitespace is unset", env: map[string]string{"UPSAMPLE": "  ", "DETECTOR": ""}, want: def},
		{name: "every variable", env: map[string]string{
			"OUTPUT_BUCKET": "faces-out", "OUTPUT_PREFIX": "vectors/v1/", "DETECTOR": "CNN", "UPSAMPLE": "0",
			"JITTER": "100", "MAX_SIDE": "0", "MAX_OBJECT_BYTES": "1048576", "MAX_PIXELS": "12000000",
			"FACEVEC_MODELS": modelsDir, "FACEVEC_BLAS": "SkylakeX",
		}, want: handler.Config{OutputBucket: "faces-out", OutputPrefix: "vectors/v1/", Detector: "cnn",
			Upsample: 0, Jitter: 100, MaxSide: 0, MaxObjectBytes: 1 << 20, MaxPixels: 12e6, ModelsDir: modelsDir,
			BLAS: "SkylakeX"}},
		{name: "blas auto", env: map[string]string{"FACEVEC_BLAS": "auto"}, want: with(func(c *handler.Config) { c.BLAS = "auto" })},
		{name: "prefix without slash", env: map[string]string{"OUTPUT_PREFIX": "enc-"}, want: with(func(c *handler.Config) { c.OutputPrefix = "enc-" })},
		{name: "prefix with space kept", env: map[string]string{"OUTPUT_PREFIX": "my results/"}, want: with(func(c *handler.Config) { c.OutputPrefix = "my results/" })},
		{name: "task root models", env: map[string]string{"LAMBDA_TASK_ROOT": "/var/task"}, want: with(func(c *handler.Config) { c.ModelsDir = "/var/task/models" })},
		{name: "FACEVEC_MODELS wins over task root", env: map[string]string{"LAMBDA_TASK_ROOT": "/var/task", "FACEVEC_MODELS": modelsDir},
			want: with(func(c *handler.Config) { c.ModelsDir = modelsDir })},
		{name: "upper bounds", env: map[string]string{"UPSAMPLE": "4", "MAX_SIDE": "100000"},
			want: with(func(c *handler.Config) { c.Upsample, c.MaxSide = 4, 100000 })},

		{name: "bucket upper case", env: map[string]string{"OUTPUT_BUCKET": "Faces"}, wantErr: []string{"OUTPUT_BUCKET"}},
		{name: "bucket too short", env: map[string]string{"OUTPUT_BUCKET": "ab"}, wantErr: []string{"OUTPUT_BUCKET"}},
		{name: "bucket with slash", env: map[string]string{"OUTPUT_BUCKET": "faces/out"}, wantErr: []string{"OUTPUT_BUCKET"}},
		{name: "bucket ends with dash", env: map[string]string{"OUTPUT_BUCKET": "faces-"}, wantErr: []string{"OUTPUT_BUCKET"}},
		{name: "prefix leading slash", env: map[string]string{"OUTPUT_PREFIX": "/encodings/"}, wantErr: []string{"OUTPUT_PREFIX"}},
		{name: "prefix control char", env: map[string]string{"OUTPUT_PREFIX": "enc\n"}, wantErr: []string{"OUTPUT_PREFIX"}},
		{name: "prefix too long", env: map[string]string{"OUTPUT_PREFIX": strings.Repeat("p", 513)}, wantErr: []string{"OUTPUT_PREFIX"}},
		{name: "prefix invalid utf-8", env: map[string]string{"OUTPUT_PREFIX": "enc\xff/"}, wantErr: []string{"OUTPUT_PREFIX"}},
		{name: "detector", env: map[string]string{"DETECTOR": "mtcnn"}, wantErr: []string{"DETECTOR"}},
		{name: "upsample too big", env: map[string]string{"UPSAMPLE": "5"}, wantErr: []string{"UPSAMPLE"}},
		{name: "upsample negative", env: map[string]string{"UPSAMPLE": "-1"}, wantErr: []string{"UPSAMPLE"}},
		{name: "upsample not a number", env: map[string]string{"UPSAMPLE": "one"}, wantErr: []string{"UPSAMPLE"}},
		{name: "jitter", env: map[string]string{"JITTER": "101"}, wantErr: []string{"JITTER"}},
		{name: "max side", env: map[string]string{"MAX_SIDE": "2k"}, wantErr: []string{"MAX_SIDE"}},
		{name: "max object bytes zero", env: map[string]string{"MAX_OBJECT_BYTES": "0"}, wantErr: []string{"MAX_OBJECT_BYTES"}},
		{name: "max object bytes unit", env: map[string]string{"MAX_OBJECT_BYTES": "25MiB"}, wantErr: []string{"MAX_OBJECT_BYTES"}},
		{name: "max object bytes overflow", env: map[string]string{"MAX_OBJECT_BYTES": "99999999999999999999"}, wantErr: []string{"MAX_OBJECT_BYTES"}},
		{name: "max pixels", env: map[string]string{"MAX_PIXELS": "-5"}, wantErr: []string{"MAX_PIXELS"}},
		{name: "blas not a name", env: map[string]string{"FACEVEC_BLAS": "Haswell; rm"}, wantErr: []string{"FACEVEC_BLAS"}},
		{name: "models not a dir", env: map[string]string{"FACEVEC_MODELS": "/nonexistent/models"}, wantErr: []string{"FACEVEC_MODELS"}},
		{name: "every problem reported", env: map[string]string{"DETECTOR": "x", "JITTER": "x", "MAX_PIXELS": "0"},
			wantErr: []string{"DETECTOR", "JITTER", "MAX_PIXELS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handler.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("ConfigFromEnv: %v", err)
				}
				if got != tt.want {
					t.Errorf("got  %+v\nwant %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; config %+v", got)
			}
			if !errors.Is(err, handler.ErrConfig) {
				t.Errorf("error does not wrap ErrConfig: %v", err)
			}
			for _, name := range tt.wantErr {
				if !strings.Contains(err.Error(), name+"=") {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
}

func TestConfigParams(t *testing.T) {
	c := handler.DefaultConfig()
	p := c.Params()
	if p.Detector != "hog" || p.Upsample != 1 || p.Jitter != 0 || p.MaxSide != 2000 ||
		p.Limits.MaxBytes != 25<<20 || p.Limits.MaxPixels != 50_000_000 {
		t.Errorf("default params = %+v, want docs/CONTRACT.md's defaults", p)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	st := newStack(t)
	enc := testEncoder(t)
	for name, mutate := range map[string]func(*handler.Config){
		"empty prefix":       func(c *handler.Config) { c.OutputPrefix = "" },
		"zero object bytes":  func(c *handler.Config) { c.MaxObjectBytes = 0 },
		"negative max pixel": func(c *handler.Config) { c.MaxPixels = -1 },
	} {
		cfg := handler.DefaultConfig()
		mutate(&cfg)
		if _, err := handler.New(cfg, enc, st.client); !errors.Is(err, handler.ErrConfig) {
			t.Errorf("%s: New error = %v, want ErrConfig", name, err)
		}
	}
	if _, err := handler.New(handler.DefaultConfig(), nil, st.client); err == nil {
		t.Error("New accepted a nil encoder")
	}
	if _, err := handler.New(handler.DefaultConfig(), enc, nil); err == nil {
		t.Error("New accepted a nil S3 client")
	}
}
