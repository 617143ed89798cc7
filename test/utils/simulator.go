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

package utils

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// Simulator serves a nairisim.Server on 127.0.0.1 and logs every request (time, method,
// route, ids, status, duration: never a body, a value or the key) to a file, so a failed
// run can be read next to the manager's log.
type Simulator struct {
	*nairisim.Server
	// URL is the base URL to give the manager (--nairi-api-url).
	URL string
	// Key is an API key the simulator accepts.
	Key string
	// LogPath is the request log.
	LogPath string

	srv *http.Server
	mu  sync.Mutex
	log *os.File
}

// VaultSecret is one entry of the List answer, decoded as a curl user would read it.
type VaultSecret struct {
	ID             string   `json:"id"`
	EnvKey         string   `json:"env_key"`
	AllowedDomains []string `json:"allowed_domains"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
}

// StartSimulator serves sim on a free 127.0.0.1 port; key is what List uses.
func StartSimulator(sim *nairisim.Server, key, logPath string) (*Simulator, error) {
	return StartSimulatorAt(sim, key, logPath, "127.0.0.1:0")
}

// StartSimulatorAt serves sim on addr, for a fixed port that Pods are configured with.
func StartSimulatorAt(sim *nairisim.Server, key, logPath, addr string) (*Simulator, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		_ = logFile.Close()
		return nil, err
	}
	s := &Simulator{Server: sim, URL: "http://" + l.Addr().String(), Key: key, LogPath: logPath, log: logFile}
	sim.Observe(s.logRequest)
	s.srv = &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// logRequest writes one line per request once it is answered (or dropped).
func (s *Simulator) logRequest(r nairisim.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = fmt.Fprintf(s.log, "%s %-6s %s vault=%s secret=%s %d %s\n", r.Time.UTC().Format("15:04:05.000"),
		r.Method, r.Route, r.VaultID, r.SecretID, r.Status, r.Duration.Round(10*time.Microsecond))
}

// ListURL is the List endpoint of a vault.
func (s *Simulator) ListURL(vaultID string) string {
	return s.URL + nairi.APIPrefix + "/vaults/" + vaultID + "/secrets"
}

// List asks for a vault's secrets over HTTP, as curl would.
func (s *Simulator) List(ctx context.Context, vaultID string) ([]VaultSecret, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.ListURL(vaultID), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.Key)
	req.Header.Set("User-Agent", "curl/nairi-test")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("list vault %s: %s", vaultID, resp.Status)
	}
	var out []VaultSecret
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("list vault %s: %w", vaultID, err)
	}
	return out, nil
}

// Close stops serving and closes the request log.
func (s *Simulator) Close() {
	_ = s.srv.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.log.Close()
}
