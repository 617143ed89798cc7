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

package monitoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/dashboard"
)

const (
	dashboardFile      = "config/grafana/nairi-secrets-operator.json"
	chartDashboardFile = "dist/chart/files/grafana/nairi-secrets-operator.json"
)

// The committed dashboard is what internal/dashboard generates, like `make manifests`.
func TestDashboardIsFresh(t *testing.T) {
	want, err := dashboard.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dashboardFile, chartDashboardFile} {
		if !bytes.Equal(readFile(t, path), want) {
			t.Errorf("%s is stale: run make dashboard", path)
		}
	}
}

// grafanaDashboard is the part of Grafana's dashboard JSON the tests read.
type grafanaDashboard struct {
	Panels []struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// grafanaVariables replaces what Grafana fills in with values a PromQL parser accepts.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$namespace", ".*")

// labelValues matches Grafana's label_values(selector, label) variable queries.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// dashboardQueries returns every PromQL expression of the dashboard, variables filled in,
// keyed by where it is.
func dashboardQueries(t *testing.T) map[string]string {
	var d grafanaDashboard
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatal(err)
	}
	queries := map[string]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for i, target := range p.Targets {
			queries[fmt.Sprintf("panel %q query %d", p.Title, i)] = grafanaVariables.Replace(target.Expr)
		}
	}
	for _, v := range d.Templating.List {
		q, ok := v.Query.(string)
		if m := labelValues.FindStringSubmatch(q); ok && m != nil {
			queries["variable "+v.Name] = m[1]
		}
	}
	return queries
}

// Every query of the dashboard must be PromQL that Prometheus itself parses: each becomes
// a recording rule checked by promtool.
func TestDashboardQueriesParse(t *testing.T) {
	queries := dashboardQueries(t)
	if len(queries) < 10 {
		t.Fatalf("found only %d queries", len(queries))
	}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	i := 0
	for where, expr := range queries {
		i++
		fmt.Fprintf(&rules, "  # %s\n  - record: dashboard:query_%d\n    expr: |\n%s\n", where, i, indent(expr, "      "))
	}
	if out, err := runPromtool(t, "check", "rules", writeTemp(t, "dashboard.rules.yaml", rules.String())); err != nil {
		t.Fatalf("a dashboard query does not parse: %v\n%s\n%s", err, out, rules.String())
	}
}

// The parse check bites: promtool refuses a query a Grafana panel could still hold.
func TestDashboardQueryCheckCanFail(t *testing.T) {
	rules := "groups:\n- name: dashboard\n  rules:\n  - record: dashboard:broken\n" +
		"    expr: sum by (route) (rate(nairi_api_requests_total[$__rate_interval]))\n"
	if out, err := runPromtool(t, "check", "rules", writeTemp(t, "broken.rules.yaml", rules)); err == nil {
		t.Fatalf("promtool accepted an unreplaced Grafana variable:\n%s", out)
	}
}

// The dashboard has the panels docs/operations.md describes, each answering one question.
func TestDashboardPanels(t *testing.T) {
	var d grafanaDashboard
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, p := range d.Panels {
		titles[p.Title] = p.Type
	}
	for title, typ := range map[string]string{
		"Objects by Ready reason":              "timeseries",
		"Objects not Ready":                    "table",
		"Nairi API requests by route and code": "timeseries",
		"Nairi API latency (p50, p99)":         "timeseries",
		"Time paused after 429s":               "timeseries",
		"Reconciles by result":                 "timeseries",
		"Reconcile errors":                     "timeseries",
		"Workqueue depth":                      "timeseries",
	} {
		if titles[title] != typ {
			t.Errorf("no %s panel %q (panels: %v)", typ, title, titles)
		}
	}
}

// metricName finds the series names the rules and the dashboard read.
var metricName = regexp.MustCompile(`\b(nairi_[a-z_]+|controller_runtime_[a-z_]+|workqueue_[a-z_]+)\b`)

// Every metric an alert or a panel reads is in the metrics reference of docs/operations.md.
func TestUsedMetricsAreDocumented(t *testing.T) {
	docs := string(readFile(t, "docs/operations.md"))
	used := string(readFile(t, rulesFile))
	for _, q := range dashboardQueries(t) {
		used += "\n" + q
	}
	for _, name := range metricName.FindAllString(used, -1) {
		name = strings.TrimSuffix(name, "_bucket")
		if !strings.Contains(docs, "`"+name+"`") && !strings.Contains(docs, "`"+name+"{") {
			t.Errorf("%s is used but not in docs/operations.md", name)
		}
	}
}
