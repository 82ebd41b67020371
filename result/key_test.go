package result

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	long := strings.Repeat("k", 1010) // 1010+ bytes: no room for prefix, bucket and ".json"
	tests := []struct {
		prefix, bucket, key string
		want                string
		ok                  bool
	}{
		{"encodings/", "faces-in", "people/a b.jpg", "encodings/faces-in/people/a b.jpg.json", true},
		{"", "in", "x.png", "in/x.png.json", true},
		{"encodings/", "other-in", "people/a b.jpg", "encodings/other-in/people/a b.jpg.json", true},
		{"encodings/", "faces-in", long, "encodings/faces-in/_long/" + sha(long) + ".json", true},
		{strings.Repeat("p", 950), "faces-in", long, "", false},
	}
	for _, tt := range tests {
		got, ok := Key(tt.prefix, tt.bucket, tt.key)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("Key(%.20q, %q, %.20q) = %.60q, %v; want %.60q, %v", tt.prefix, tt.bucket, tt.key, got, ok, tt.want, tt.ok)
		}
		if ok && len(got) > MaxKeyBytes {
			t.Errorf("Key gave %d bytes, more than %d", len(got), MaxKeyBytes)
		}
	}
	// Keys of two buckets never collide; nor a long key with a short one.
	a, _ := Key("p/", "b1", "k.jpg")
	b, _ := Key("p/", "b2", "k.jpg")
	if a == b {
		t.Errorf("two buckets share result key %s", a)
	}
}

func sha(s string) string { return sha256Hex(s) }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
