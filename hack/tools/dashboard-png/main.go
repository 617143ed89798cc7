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

// Command dashboard-png draws the panels of the Grafana dashboard (config/grafana) from the
// scrapes of a real run (hack/dashboard-run), for `make dashboard-png`. The scrapes are
// stored in a Prometheus TSDB, as Prometheus would have stored them (with staleness
// markers for series that disappear), and every panel's own PromQL queries are evaluated
// by Prometheus' engine; gonum/plot draws the results in the dashboard's grid.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/textparse"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"
)

func main() {
	samples := flag.String("samples", "bin/dashboard-run", "directory of <unix ms>.prom scrapes")
	board := flag.String("dashboard", "config/grafana/nairi-secrets-operator.json", "Grafana dashboard JSON")
	out := flag.String("out", "docs/dashboard.png", "PNG to write")
	rateInterval := flag.Duration("rate-interval", 30*time.Second, "what $__rate_interval stands for")
	step := flag.Duration("step", 5*time.Second, "resolution of the graphs")
	flag.Parse()
	if err := run(*samples, *board, *out, *rateInterval, *step); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard-png:", err)
		os.Exit(1)
	}
}

func run(samplesDir, boardPath, out string, rateInterval, step time.Duration) error {
	d, err := readDashboard(boardPath)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "dashboard-png-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	db, err := tsdb.Open(tmp, nil, nil, tsdb.DefaultOptions(), nil)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	start, end, err := load(db, samplesDir)
	if err != nil {
		return err
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 50_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	vars := strings.NewReplacer("$__rate_interval", rateInterval.String(), "$job", ".*", "$namespace", ".*")
	q := &querier{db: db, engine: engine, vars: vars, start: start, end: end, step: step}
	return render(d, q, out)
}

// load appends every scrape in dir to db, the way Prometheus does: one sample per series
// per scrape, and a staleness marker when a series is no longer exposed.
func load(db *tsdb.DB, dir string) (start, end time.Time, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.prom"))
	if err != nil || len(files) < 2 {
		return start, end, fmt.Errorf("need at least two scrapes in %s (run hack/dashboard-run): %v", dir, err)
	}
	slices.SortFunc(files, func(a, b string) int { return int(scrapeTime(a) - scrapeTime(b)) })
	previous := map[string]labels.Labels{}
	for _, file := range files {
		ts := scrapeTime(file)
		data, err := os.ReadFile(file)
		if err != nil {
			return start, end, err
		}
		app := db.Appender(context.Background())
		current, err := appendScrape(app, data, ts)
		if err != nil {
			return start, end, fmt.Errorf("%s: %w", file, err)
		}
		for key, lset := range previous {
			if _, ok := current[key]; !ok {
				if _, err := app.Append(0, lset, ts, math.Float64frombits(value.StaleNaN)); err != nil {
					return start, end, err
				}
			}
		}
		if err := app.Commit(); err != nil {
			return start, end, err
		}
		previous = current
	}
	return time.UnixMilli(scrapeTime(files[0])), time.UnixMilli(scrapeTime(files[len(files)-1])), nil
}

func scrapeTime(path string) int64 {
	ms, _ := strconv.ParseInt(strings.TrimSuffix(filepath.Base(path), ".prom"), 10, 64)
	return ms
}

// appendScrape parses one scrape in the text exposition format and appends its samples.
func appendScrape(app storage.Appender, data []byte, ts int64) (map[string]labels.Labels, error) {
	p := textparse.NewPromParser(data, labels.NewSymbolTable(), false)
	seen := map[string]labels.Labels{}
	for {
		entry, err := p.Next()
		if errors.Is(err, io.EOF) {
			return seen, nil
		}
		if err != nil {
			return nil, err
		}
		if entry != textparse.EntrySeries {
			continue
		}
		_, _, v := p.Series()
		var lset labels.Labels
		p.Labels(&lset)
		seen[lset.String()] = lset
		if _, err := app.Append(0, lset, ts, v); err != nil {
			return nil, err
		}
	}
}
