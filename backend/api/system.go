package api

import (
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"

	"github.com/logsieve/logsieve/backend/factory"
)

// SystemInfo is the body of GET /system and the "system" of a websocket stats message.
type SystemInfo struct {
	Version         string     `json:"version"`
	Hostname        string     `json:"hostname"`
	UptimeS         float64    `json:"uptime_s"`        // host uptime
	ServerUptimeS   float64    `json:"server_uptime_s"` // this process
	Time            int64      `json:"time"`            // unix ms
	Timezone        string     `json:"timezone"`
	NTPSynchronized bool       `json:"ntp_synchronized"`
	CPUPercent      float64    `json:"cpu_percent"`
	Load            [3]float64 `json:"load"`
	Mem             MemInfo    `json:"mem"`
	Disk            DiskInfo   `json:"disk"`
	Goroutines      int        `json:"goroutines"`
}

// MemInfo is the host memory in bytes.
type MemInfo struct {
	Total uint64 `json:"total"`
	Used  uint64 `json:"used"`
}

// DiskInfo is the file system of the data dir, in bytes.
type DiskInfo struct {
	Path  string `json:"path"`
	Total uint64 `json:"total"`
	Free  uint64 `json:"free"`
}

// systemSampler reads the host's state; the CPU percentage is measured between calls at
// least a second apart, so concurrent readers do not reset each other's baseline.
type systemSampler struct {
	dataDir string
	mu      sync.Mutex
	cpuAt   time.Time
	cpuPct  float64
}

func newSystemSampler(dataDir string) *systemSampler {
	return &systemSampler{dataDir: dataDir}
}

func (ss *systemSampler) cpuPercent() float64 {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if time.Since(ss.cpuAt) >= 900*time.Millisecond {
		if p, err := cpu.Percent(0, false); err == nil && len(p) > 0 {
			ss.cpuPct = p[0]
		}
		ss.cpuAt = time.Now()
	}
	return ss.cpuPct
}

func (s *Server) systemInfo() SystemInfo {
	now := s.d.Now()
	si := SystemInfo{
		Version:         s.d.Version,
		ServerUptimeS:   now.Sub(s.started).Seconds(),
		Time:            now.UnixMilli(),
		Timezone:        factory.HostTimezone(),
		NTPSynchronized: ntpSynchronized(),
		CPUPercent:      s.sys.cpuPercent(),
		Goroutines:      runtime.NumGoroutine(),
		Disk:            DiskInfo{Path: s.d.DataDir},
	}
	si.Hostname, _ = os.Hostname()
	if up, err := host.Uptime(); err == nil {
		si.UptimeS = float64(up)
	}
	if l, err := load.Avg(); err == nil {
		si.Load = [3]float64{l.Load1, l.Load5, l.Load15}
	}
	if m, err := mem.VirtualMemory(); err == nil {
		si.Mem = MemInfo{Total: m.Total, Used: m.Used}
	}
	if d, err := disk.Usage(s.d.DataDir); err == nil {
		si.Disk.Total, si.Disk.Free = d.Total, d.Free
	}
	return si
}

func (s *Server) system(c *fiber.Ctx) error { return c.JSON(s.systemInfo()) }
