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

// TestKeyHashedSpaceDisjoint: no ordinary key gets the result key of a
// long key. A key that is literally "_long/<SHA-256 of a long key>" must
// not land where that long key's result is (anyone who may upload could
// otherwise overwrite another photo's result), and keys that only differ
// in how many underscores lead "long/" stay apart too.
func TestKeyHashedSpaceDisjoint(t *testing.T) {
	long := strings.Repeat("k", 1010)
	keys := []string{
		long, LongKeyDir + sha(long), "_" + LongKeyDir + sha(long), "__" + LongKeyDir + sha(long),
		"_long/x.jpg", "__long/x.jpg", "___long/x.jpg", "long/x.jpg", "_longx.jpg", "_long", "__long",
		"_long/", "a/_long/x.jpg", "_lon/g.jpg", "_", "__",
	}
	seen := map[string]string{}
	for _, k := range keys {
		got, ok := Key("encodings/", "faces-in", k)
		if !ok {
			t.Fatalf("Key(%.40q) not ok", k)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("keys %.40q and %.40q share result key %.80q", other, k, got)
		}
		seen[got] = k
	}
}

// FuzzKeyDisjoint: two different source keys never share a result key.
func FuzzKeyDisjoint(f *testing.F) {
	long := strings.Repeat("k", 1010)
	f.Add(long, LongKeyDir+sha(long))
	f.Add("_long/x", "__long/x")
	f.Add("a.jpg", "a.jpg.json")
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == b {
			return
		}
		ka, okA := Key("encodings/", "faces-in", a)
		kb, okB := Key("encodings/", "faces-in", b)
		if okA && okB && ka == kb {
			t.Errorf("keys %.40q and %.40q share result key %.80q", a, b, ka)
		}
	})
}
