package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// ProcCPU returns the user+system CPU time a process has used so far, read
// from /proc/<pid>/stat.
func ProcCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

func parseStatCPU(b []byte) (time.Duration, error) {
	// The command name (field 2) may hold spaces; fields restart after
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': field 3 is f[0], so utime (14) is f[11], stime (15) f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed stat line")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed stat line")
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// ProcMemory returns VmRSS and VmHWM of a process in bytes.
func ProcMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, k := range []string{"VmRSS:", "VmHWM:"} {
			if v, ok := strings.CutPrefix(line, k); ok {
				fs := strings.Fields(v)
				if len(fs) >= 1 {
					n, _ := strconv.ParseInt(fs[0], 10, 64)
					if k == "VmRSS:" {
						rss = n * 1024
					} else {
						hwm = n * 1024
					}
				}
			}
		}
	}
	return rss, hwm, sc.Err()
}

// SystemCPU returns the busy (non-idle, non-iowait) CPU time of the whole
// machine, summed over all CPUs, from /proc/stat.
func SystemCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat")
	}
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		// user nice system idle iowait irq softirq steal ...
		if i == 3 || i == 4 || i >= 8 { // idle, iowait, guest (already in user)
			continue
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

// ProcsCPU returns the CPU time so far of every process whose command name
// is comm (for example "postgres": the database server's backends), by pid.
func ProcsCPU(comm string) map[int]time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	out := make(map[int]time.Duration)
	for _, d := range dirs {
		c, err := os.ReadFile(d + "/comm")
		if err != nil || strings.TrimSpace(string(c)) != comm {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		if t, err := ProcCPU(pid); err == nil {
			out[pid] = t
		}
	}
	return out
}

// CPUSpent is the CPU time the processes of after used since before, summed
// per process: a process that started in between counts in full, and one
// that exited in between is not counted (its last CPU time is gone), so
// the sum never goes negative when backends come and go.
func CPUSpent(before, after map[int]time.Duration) time.Duration {
	var total time.Duration
	for pid, t := range after {
		if t0, ok := before[pid]; ok && t0 <= t {
			t -= t0
		}
		total += t
	}
	return total
}
