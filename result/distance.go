package result

import (
	"errors"
	"math"
)

// DefaultTolerance is face_recognition's default: distances at or below it
// are the same person.
const DefaultTolerance = 0.6

// ErrDescriptorLength is returned when descriptors of different lengths are compared.
var ErrDescriptorLength = errors.New("descriptors differ in length")

// Distance is the Euclidean distance between two descriptors, as
// face_recognition.face_distance computes it. It returns +Inf when the
// lengths differ, so a malformed descriptor never matches.
func Distance(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.Inf(1)
	}
	var sum float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		sum += d * d
	}
	return math.Sqrt(sum)
}

// Known is a labelled descriptor to match against.
type Known struct {
	Name       string
	Descriptor Descriptor
}

// Match is the outcome of a 1:N search.
type Match struct {
	Index    int     // index into known; -1 when nothing is within tolerance
	Name     string  // known[Index].Name, or "" when Index is -1
	Distance float64 // distance to the nearest known descriptor (+Inf when known is empty)
}

// Found reports whether a known face was within tolerance.
func (m Match) Found() bool { return m.Index >= 0 }

// Descriptor is a face descriptor: DescriptorLen float32 values.
type Descriptor []float32

// Distance from d to other (see the package function Distance).
func (d Descriptor) Distance(other []float32) float64 { return Distance(d, other) }

// Match finds the known descriptor closest to d (1:N) and reports it as a
// match when its distance is at most tolerance. Ties go to the earliest entry.
func (d Descriptor) Match(known []Known, tolerance float64) Match {
	best := Match{Index: -1, Distance: math.Inf(1)}
	bestIdx := -1
	for i, k := range known {
		dist := Distance(d, k.Descriptor)
		if dist < best.Distance {
			best.Distance = dist
			bestIdx = i
		}
	}
	if bestIdx >= 0 && best.Distance <= tolerance {
		best.Index = bestIdx
		best.Name = known[bestIdx].Name
	}
	return best
}
