/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package soak

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// slot is one of the manager replicas; a killed replica starts again in the same slot with
// a new log file, so "who holds the lease" is a question about one file.
type slot struct {
	name    string
	starts  int
	mgr     *utils.Manager
	metrics string // host:port of its plain-HTTP metrics endpoint
	// killed is set before the driver kills it, so an exit is told apart from a crash.
	killed bool
	logs   []string
}

// managers runs two replicas of the manager binary with leader election, restarts any that
// exit, and kills them when the chaos schedule says so.
type managers struct {
	s     *soak
	bin   string
	args  []string
	mu    sync.Mutex
	slots []*slot
	// paused stops restarts (while the driver restarts one itself).
	stopped bool

	kills, restarts, crashes int
}

func (ms *managers) start(sl *slot) error {
	metrics, err := utils.FreeAddr()
	if err != nil {
		return err
	}
	sl.starts++
	logPath := filepath.Join(ms.s.dir, fmt.Sprintf("%s-%d.log", sl.name, sl.starts))
	args := append([]string{"--metrics-bind-address=" + metrics, "--metrics-secure=false"}, ms.args...)
	m, err := utils.StartManager(utils.ManagerOptions{
		Name: sl.name, Binary: ms.bin, Kubeconfig: ms.s.cp.Kubeconfig, APIURL: ms.s.simURL, APIKey: ms.s.apiKey,
		LogPath: logPath, LeaderElect: true, Args: args,
	})
	if err != nil {
		return err
	}
	sl.mgr, sl.metrics, sl.killed = m, metrics, false
	sl.logs = append(sl.logs, logPath)
	return nil
}

// startAll starts both replicas and waits until one of them leads.
func (ms *managers) startAll(ctx context.Context) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, name := range []string{"manager-a", "manager-b"} {
		sl := &slot{name: name}
		if err := ms.start(sl); err != nil {
			return err
		}
		ms.slots = append(ms.slots, sl)
	}
	for _, sl := range ms.slots {
		if err := sl.mgr.WaitReady(ctx); err != nil {
			return err
		}
	}
	return nil
}

// leads says whether the replica's current process holds the lease (it logged so).
func (sl *slot) leads() bool {
	if sl.mgr == nil || sl.mgr.Exited() {
		return false
	}
	return strings.Contains(strings.ToLower(sl.mgr.Log()), "successfully acquired lease")
}

// leader returns the replica that leads, else nil.
func (ms *managers) leaderLocked() *slot {
	for _, sl := range ms.slots {
		if sl.leads() {
			return sl
		}
	}
	return nil
}

// kill SIGKILLs a replica (the leader when leader is true and one leads) and returns its name.
func (ms *managers) kill(leader bool, pick int) string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var sl *slot
	if leader {
		sl = ms.leaderLocked()
	}
	if sl == nil {
		sl = ms.slots[pick%len(ms.slots)]
	}
	if sl.mgr == nil || sl.mgr.Exited() {
		return ""
	}
	sl.killed = true
	_ = sl.mgr.Signal(syscall.SIGKILL)
	ms.kills++
	return sl.name
}

// supervise restarts replicas that exited, after restartDelay, until ctx ends.
func (ms *managers) supervise(ctx context.Context, restartDelay func() time.Duration) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ms.mu.Lock()
		var dead []*slot
		for _, sl := range ms.slots {
			if sl.mgr != nil && sl.mgr.Exited() && !ms.stopped {
				dead = append(dead, sl)
			}
		}
		ms.mu.Unlock()
		for _, sl := range dead {
			ms.mu.Lock()
			if !sl.killed {
				ms.crashes++
				ms.s.hist.add(kindManager, fmt.Sprintf("%s exited by itself (code %d): %s", sl.name, sl.mgr.ExitCode(),
					lastLine(sl.mgr.Tail(3))))
			}
			sl.mgr = nil
			ms.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(restartDelay()):
			}
			ms.mu.Lock()
			if err := ms.start(sl); err != nil {
				ms.s.hist.add(kindManager, fmt.Sprintf("restart %s failed: %v", sl.name, err))
			} else {
				ms.restarts++
				ms.s.hist.add(kindManager, fmt.Sprintf("%s started again", sl.name))
			}
			ms.mu.Unlock()
		}
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// ensureRunning waits until both replicas run and one leads (the quiet period starts
// from a healthy deployment).
func (ms *managers) ensureRunning(ctx context.Context) error {
	for {
		ms.mu.Lock()
		up := 0
		for _, sl := range ms.slots {
			if sl.mgr != nil && !sl.mgr.Exited() {
				up++
			}
		}
		leads := ms.leaderLocked() != nil
		ms.mu.Unlock()
		if up == len(ms.slots) && leads {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("managers not back up: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// stopAll stops every replica for good.
func (ms *managers) stopAll() {
	ms.mu.Lock()
	ms.stopped = true
	slots := ms.slots
	ms.mu.Unlock()
	for _, sl := range slots {
		if sl.mgr != nil {
			sl.mgr.Stop(15 * time.Second)
		}
	}
}

// scrapeMetrics returns the metrics text of every running replica.
func (ms *managers) scrapeMetrics(ctx context.Context) (string, error) {
	ms.mu.Lock()
	var addrs []string
	for _, sl := range ms.slots {
		if sl.mgr != nil && !sl.mgr.Exited() {
			addrs = append(addrs, sl.metrics)
		}
	}
	ms.mu.Unlock()
	var b strings.Builder
	for _, addr := range addrs {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("scrape %s: %w", addr, err)
		}
		data, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return "", err
		}
		b.Write(data)
	}
	return b.String(), nil
}

// allLogs returns every log file the replicas wrote.
func (ms *managers) allLogs() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	var out []string
	for _, sl := range ms.slots {
		out = append(out, sl.logs...)
	}
	return out
}

func readFile(path string) string {
	data, _ := os.ReadFile(path)
	return string(data)
}
