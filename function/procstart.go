package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// mainStart is taken when package main initialises, after the runtime and
// every imported package: the fallback when /proc cannot tell better.
var mainStart = time.Now()

// clockTicks is USER_HZ, 100 on every Linux Lambda runs on.
const clockTicks = 100

// sinceProcessStart is the time since the process started (from /proc, so
// it includes the runtime start and the dlib static initialisers), or
// since package main initialised where /proc is unavailable.
func sinceProcessStart() time.Duration {
	fallback := time.Since(mainStart)
	if d, ok := procAge(); ok && d >= fallback {
		return d
	}
	return fallback
}

// procAge is the age of this process: /proc/uptime minus field 22 of
// /proc/self/stat (start time in clock ticks after boot). Both count from
// boot, so the result is precise to a tick (10 ms), unlike wall-clock
// arithmetic with /proc/stat's btime, which has whole seconds.
func procAge() (time.Duration, bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may contain spaces; count fields from its
	// closing parenthesis.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	const startField = 22 - 3 // fields[0] is field 3
	if len(fields) <= startField {
		return 0, false
	}
	ticks, err := strconv.ParseInt(fields[startField], 10, 64)
	if err != nil {
		return 0, false
	}
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(up))
	if len(f) == 0 {
		return 0, false
	}
	uptime, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, false
	}
	age := time.Duration(uptime*float64(time.Second)) - time.Duration(ticks)*time.Second/clockTicks
	return age, age >= 0
}
