package dlib

// MaxPhotoThreads bounds the threads the HOG detector uses for one photo.
// Its work splits into pyramid levels and five filters per level; past
// four threads the largest level's share dominates.
const MaxPhotoThreads = 4

// photoThreads is how many threads the HOG detector gets for one photo:
// fixed when set (WithPhotoThreads), else the CPUs divided among the
// photos being encoded now (busy, this one included): one photo alone
// (`facevec encode --workers 1`, a Lambda handling one upload) gets every
// CPU; a run over many photos keeps one thread per photo per CPU. The
// Lambda sets it from its memory (function/main.go), since Lambda shows
// more CPUs than it gives time for below 3538 MB.
func photoThreads(fixed, cpus, busy int) int {
	if fixed > 0 {
		return min(fixed, MaxPhotoThreads)
	}
	return max(1, min(MaxPhotoThreads, cpus/max(busy, 1)))
}
