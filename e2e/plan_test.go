//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/facevec/facevec/fixtures"
	"github.com/facevec/facevec/localstack/provision"
	"github.com/facevec/facevec/result"
)

// upload is one object of the set-up batch and what became of it.
type upload struct {
	Key  string
	File string // local file uploaded
	// Fixture is the manifest path whose expectations (and golden result)
	// apply; "" for an extra photo.
	Fixture string
	Entry   *fixtures.Entry
	// Extra marks a photo from FACEVEC_EXTRA_FIXTURES.
	Extra bool
	// Triggers reports whether the key ends in a suffix the notification
	// fires for; other keys (.pdf, .heic) must get no result.
	Triggers bool

	ETag     string // as PutObject returned it, without quotes
	Size     int64
	Uploaded time.Time

	Result      *result.Result
	Raw         []byte
	ContentType string
	Latency     time.Duration // upload to result visible
	Err         error         // why there is no Result
}

// deepCopies are fixtures uploaded a second time under the kind of key
// users produce: date prefixes, '+', '&', '%', parentheses, non-ASCII, an
// upper-case suffix. '+' and '%' matter most: S3 event keys are
// form-encoded, so a function that decodes them wrongly reads the wrong
// object or none.
var deepCopies = []struct{ key, from string }{
	{"uploads/2026/11/25/grace hopper.jpg", "people/grace hopper.jpg"},
	{"uploads/2026/11/25/team+photo & co (1).jpg", "group/équipe 4.jpg"},
	{"uploads/2026/11/25/日本/写真 ü.PNG", "formats/collins-rgba.png"},
	{"uploads/2026/11/25/IMG_0001.JPEG", "exif/hopper-o6.jpg"},
	{"uploads/2026/11/25/100% real=yes;.jpg", "people/hopper-half.jpg"},
}

// extraPrefix is where the FACEVEC_EXTRA_FIXTURES photos go.
const extraPrefix = "extra/"

// triggers reports whether the deployment's notifications fire for key.
func triggers(key string) bool {
	return slices.ContainsFunc(provision.DefaultSuffixes, func(s string) bool { return strings.HasSuffix(key, s) })
}

// plan lists the batch: every manifest fixture under its own path, the
// deep copies, and the extra photos.
func (s *suite) plan() ([]*upload, error) {
	var out []*upload
	add := func(key, file, fixture string, extra bool) {
		u := &upload{Key: key, File: file, Fixture: fixture, Extra: extra, Triggers: triggers(key)}
		if e, ok := s.manifest[fixture]; ok {
			u.Entry = &e
		}
		out = append(out, u)
	}
	paths := make([]string, 0, len(s.manifest))
	for p := range s.manifest {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		e := s.manifest[p]
		add(p, e.File(s.cfg.fixturesDir), p, false)
	}
	for _, c := range deepCopies {
		e, ok := s.manifest[c.from]
		if !ok {
			return nil, fmt.Errorf("deep copy %q: fixture %q is not in the manifest", c.key, c.from)
		}
		add(c.key, e.File(s.cfg.fixturesDir), c.from, false)
	}
	if s.cfg.extraDir != "" {
		files, err := extraPhotos(s.cfg.extraDir)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			add(extraPrefix+filepath.Base(f), f, "", true)
		}
	}
	return out, nil
}

// extraPhotos lists the .jpg files of dir.
func extraPhotos(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", envExtraFixtures, err)
	}
	var out []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.EqualFold(filepath.Ext(e.Name()), ".jpg") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s=%s holds no .jpg files", envExtraFixtures, dir)
	}
	return out, nil
}
