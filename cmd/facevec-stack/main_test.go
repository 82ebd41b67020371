package main

import (
	"strings"
	"testing"
)

func TestReadConfig(t *testing.T) {
	t.Setenv("FUNCTION_ENV_DETECTOR", "cnn")
	t.Setenv("FUNCTION_MEMORY_MB", "1024")
	t.Setenv("EXTRA_CORS_ALLOWED_ORIGINS", " https://a.example , ,https://b.example")
	c, err := readConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.zip != "/function.zip" || c.addr != "0.0.0.0:4566" || c.spec.InputBucket != "faces-in" || c.spec.MemoryMB != 1024 {
		t.Errorf("defaults: %+v", c)
	}
	if c.spec.Env["DETECTOR"] != "cnn" || len(c.origins) != 2 {
		t.Errorf("function env %v, origins %q", c.spec.Env, c.origins)
	}
	t.Setenv("FUNCTION_ZIP", "")
	if c, _ := readConfig(); c.zip != "" {
		t.Errorf("FUNCTION_ZIP set empty: zip %q, want none deployed", c.zip)
	}
}

// TestReadConfigNamesBadValues: a bad number is an error naming the
// variable, every one of them, before anything starts.
func TestReadConfigNamesBadValues(t *testing.T) {
	t.Setenv("FUNCTION_MEMORY_MB", "lots")
	t.Setenv("LAMBDA_CONCURRENCY", "-1")
	_, err := readConfig()
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, v := range []string{`FUNCTION_MEMORY_MB="lots"`, `LAMBDA_CONCURRENCY="-1"`} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name %s", err, v)
		}
	}
}
