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

// wholeCostItems are the line items the whole-cost table must have (issue
// #28: the README priced Lambda alone and left out S3 Vectors, which is
// on by default).
var wholeCostItems = []string{
	"Lambda compute", "Lambda requests", "S3 GET and HEAD", "S3 PUT of the result", "S3 storage of the result",
	"CloudWatch Logs", "SQS", "S3 Vectors writes", "S3 Vectors reads", "S3 Vectors storage",
}

var (
	wholeCostRowRE   = regexp.MustCompile("(?m)^\\| ([^|]+?) \\| ([^|]*?) \\| ([^|]*?) \\| ([^|]*?) \\| (–|\\$[0-9.]+) \\| (–|\\$[0-9.]+) \\|$")
	wholeCostTotalRE = regexp.MustCompile(`(?m)^\| \*\*total\*\* \| \| \| \| \*\*\$([0-9.]+)\*\* \| \*\*\$([0-9.]+)\*\* \|$`)
	perPhotoRE       = regexp.MustCompile(`^([0-9.]+) (GB-s|requests?|KB)\b(?:.*billed as ([0-9.]+) KB)?`)
	unitPriceRE      = regexp.MustCompile(`^\$([0-9.]+) per (GB-s|million|1,000|GB)\b`)
)

// dollars reads a "$1.23" or "–" (nothing) cell.
func dollars(cell string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimPrefix(cell, "$"), 64)
	return v
}

// TestReadmeWholeCost: deploy/README.md's whole-cost table has every line
// item, each with its source; where a line states its quantity and price
// the dollars follow from them; the totals are the sums; and its compute
// line is the compute table's 1080p row.
func TestReadmeWholeCost(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	i := strings.Index(readme, "#### The whole cost per million photos")
	if i < 0 {
		t.Fatal("README.md has no whole-cost table (#### The whole cost per million photos)")
	}
	section := readme[i:]
	if j := strings.Index(section[1:], "\n#"); j >= 0 {
		section = section[:j+1]
	}
	rows := map[string][]string{}
	var sumOff, sumOn float64
	for _, r := range wholeCostRowRE.FindAllStringSubmatch(section, -1) {
		if r[1] == "line item" || strings.HasPrefix(r[1], "---") {
			continue
		}
		rows[r[1]] = r
		off, on := dollars(r[5]), dollars(r[6])
		sumOff += off
		sumOn += on
		if strings.TrimSpace(r[4]) == "" {
			t.Errorf("%s: no source", r[1])
		}
		q, p := perPhotoRE.FindStringSubmatch(r[2]), unitPriceRE.FindStringSubmatch(r[3])
		if q == nil || p == nil {
			continue // a price no source gives, or a note
		}
		n, _ := strconv.ParseFloat(q[1], 64)
		if q[3] != "" {
			n, _ = strconv.ParseFloat(q[3], 64) // the billed minimum
		}
		price, _ := strconv.ParseFloat(p[1], 64)
		perMillion := map[string]float64{"GB-s": 1e6, "million": 1, "1,000": 1e3}[p[2]]
		if p[2] == "GB" {
			perMillion = 1 // n KB a photo is n GB a million photos
		}
		want := n * price * perMillion
		got := max(off, on)
		if math.Abs(got-want) > 0.006+0.001*want {
			t.Errorf("%s: %s × %s = $%.2f a million, README says $%.2f", r[1], r[2], r[3], want, got)
		}
	}
	for _, item := range wholeCostItems {
		if rows[item] == nil {
			t.Errorf("the whole-cost table lacks %q", item)
		}
	}
	tot := wholeCostTotalRE.FindStringSubmatch(section)
	if tot == nil {
		t.Fatal("the whole-cost table has no **total** row")
	}
	if got := dollars(tot[1]); math.Abs(got-sumOff) > 0.011 {
		t.Errorf("total with the index off $%.2f, the lines sum to $%.2f", got, sumOff)
	}
	if got := dollars(tot[2]); math.Abs(got-sumOn) > 0.011 {
		t.Errorf("total with the index on $%.2f, the lines sum to $%.2f", got, sumOn)
	}
	hd := regexp.MustCompile("(?m)^\\| `obama-1080p.jpg` 1920×1080[^|]*\\| 1 \\| [0-9.]+ \\| ([0-9.]+) \\| (\\$[0-9.]+) \\|$").FindStringSubmatch(readme)
	if hd == nil || rows["Lambda compute"] == nil || hd[2] != rows["Lambda compute"][5] || !strings.HasPrefix(rows["Lambda compute"][2], hd[1]+" GB-s") {
		t.Errorf("the whole-cost compute line %v is not the compute table's 1080p row %v", rows["Lambda compute"], hd)
	}
}
