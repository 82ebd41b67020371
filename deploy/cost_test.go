package deploy

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// lambdaOneVCPUMB is the memory at which Lambda gives a function one full
// vCPU (Lambda developer guide, "Configuring function memory").
const lambdaOneVCPUMB = 1769

// lambdaGBSecondUSD is Lambda's x86 price per GB-second (us-east-1).
const lambdaGBSecondUSD = 0.0000166667

// TestMemoryDefaultIsOneVCPU: an invocation encodes its one photo on one
// thread (function/main.go gives the encoder a worker per CPU, and an S3
// event holds one record). Below one vCPU the photo is slower at the same
// GB-s; above it the second vCPU idles while the GB-s grow. The default is
// the point between (issue #18: it was 2048, 16% more per photo for no
// speed).
func TestMemoryDefaultIsOneVCPU(t *testing.T) {
	tpl, err := Parse(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := num(at(tpl, "Parameters", "MemorySize", "Default")); !ok || d != lambdaOneVCPUMB {
		t.Errorf("MemorySize default %v, want %d MB (one full vCPU)", at(tpl, "Parameters", "MemorySize", "Default"), lambdaOneVCPUMB)
	}
}

var (
	costDefaultRE = regexp.MustCompile(`At the default \*\*(\d+) MB\*\* \((\d+) / 1024 = ([0-9.]+) GB\)`)
	costRowRE     = regexp.MustCompile("(?m)^\\| `[^`]+` \\d+×\\d+ \\| \\d+ \\| ([0-9.]+) \\| ([0-9.]+) \\| \\$([0-9.]+) \\|$")
	costPriceRE   = regexp.MustCompile(`Lambda x86 \$([0-9.]+) per GB-second`)
)

// TestReadmeCostArithmetic: deploy/README.md's cost table is at the
// template's memory default and its arithmetic holds: GB-s = seconds ×
// MB / 1024, dollars per million = GB-s × price × 10⁶.
func TestReadmeCostArithmetic(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	tpl, err := Parse(readTemplate(t))
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := num(at(tpl, "Parameters", "MemorySize", "Default"))
	m := costDefaultRE.FindStringSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md has no %q line", costDefaultRE)
	}
	if m[1] != strconv.FormatInt(mem, 10) || m[2] != m[1] {
		t.Errorf("README.md prices %s MB (%s / 1024), the template's default is %d MB", m[1], m[2], mem)
	}
	gb := float64(mem) / 1024
	if got, _ := strconv.ParseFloat(m[3], 64); math.Abs(got-gb) > 0.0001 {
		t.Errorf("README.md: %s / 1024 = %s GB, want %.4f", m[2], m[3], gb)
	}
	if p := costPriceRE.FindStringSubmatch(readme); p == nil || p[1] != strconv.FormatFloat(lambdaGBSecondUSD, 'f', -1, 64) {
		t.Errorf("README.md's Lambda price %v, want $%v per GB-second", p, lambdaGBSecondUSD)
	}
	i := strings.Index(readme, m[0])
	rows := costRowRE.FindAllStringSubmatch(readme[i:], -1)
	if len(rows) < 3 {
		t.Fatalf("README.md: %d rows in the cost table after %q, want the benchmark's three photos", len(rows), m[0])
	}
	for _, r := range rows {
		secs, _ := strconv.ParseFloat(r[1], 64)
		gbs, _ := strconv.ParseFloat(r[2], 64)
		usd, _ := strconv.ParseFloat(r[3], 64)
		// The printed seconds are rounded to 1 ms; GB-s and dollars follow
		// from the unrounded time, so allow half a millisecond's worth.
		if want := secs * gb; math.Abs(gbs-want) > 0.0005*gb+0.0005 {
			t.Errorf("row %q: %s s × %.4f GB = %.4f GB-s, README says %s", r[0], r[1], gb, want, r[2])
		}
		if want := gbs * lambdaGBSecondUSD * 1e6; math.Abs(usd-want) > 0.01+0.0005*lambdaGBSecondUSD*1e6 {
			t.Errorf("row %q: %s GB-s × $%v × 10⁶ = $%.2f, README says $%s", r[0], r[2], lambdaGBSecondUSD, want, r[3])
		}
	}
}
