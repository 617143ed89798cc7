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

// Package dashboard is the Grafana dashboard of nairi-secrets-operator, written with the
// Grafana Foundation SDK. `make dashboard` renders it into config/grafana (for kustomize
// and Grafana's sidecar) and the Helm chart; a test fails when the committed JSON is stale.
package dashboard

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// UID is the dashboard's stable identifier, so links and provisioning survive updates.
const UID = "nairi-secrets-operator"

// Variables the queries use; Grafana fills them in.
const (
	// jobFilter selects the operator's scrape job(s).
	jobFilter = `job=~"$job"`
	// namespaceFilter selects the objects' namespaces (cluster-scoped NairiVaults have
	// none, which ".*" matches too).
	namespaceFilter = `namespace=~"$namespace"`
)

// JSON returns the dashboard as Grafana imports it, indented, with a final newline.
func JSON() ([]byte, error) {
	d, err := Build()
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	return append(out, '\n'), nil
}

// Build assembles the dashboard: what is broken (objects), why (the Nairi API), and how
// hard the controller works. It uses the classic dashboard model, which the SDK marks
// deprecated in favour of v2: the classic JSON is what Grafana's dashboard sidecar and
// "Import dashboard" load on every Grafana version; v2 needs Grafana 12's new API.
//
//nolint:staticcheck // the classic model on purpose, as said above
func Build() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder("Nairi Secrets Operator").
		Uid(UID).
		Description("NairiSecrets, NairiVaults and NairiSecretSets by condition, the Nairi API as the operator "+
			"sees it, and the controller's work. Generated from internal/dashboard; see docs/operations.md.").
		Tags([]string{"nairi-secrets-operator", "kubernetes", "secrets"}).
		Refresh("30s").
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")).
		WithVariable(labelVariable("job", "Job", "label_values(nairi_api_requests_total, job)")).
		WithVariable(labelVariable("namespace", "Namespace", "label_values(nairi_secret_status_condition, namespace)"))

	b = b.WithRow(dashboard.NewRowBuilder("Objects")).
		WithPanel(objectsByReason()).
		WithPanel(notReadyTable())
	b = b.WithRow(dashboard.NewRowBuilder("Nairi API")).
		WithPanel(apiRequests()).
		WithPanel(apiLatency()).
		WithPanel(rateLimitPauses()).
		WithPanel(adaptiveRate())
	b = b.WithRow(dashboard.NewRowBuilder("Controller")).
		WithPanel(reconciles()).
		WithPanel(reconcileErrors()).
		WithPanel(workqueueDepth())
	d, err := b.Build()
	if err != nil {
		return dashboard.Dashboard{}, fmt.Errorf("build dashboard: %w", err)
	}
	// Stable ids, in reading order: links to a panel (viewPanel=N) keep working.
	for i, p := range d.Panels {
		id := uint32(i + 1)
		if p.RowPanel != nil {
			p.RowPanel.Id = id
		} else if p.Panel != nil {
			p.Panel.Id = &id
		}
	}
	return d, nil
}

func labelVariable(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasource()).
		Query(dashboard.StringOrMap{String: new(query)}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*")
}

func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: new("prometheus"), Uid: new("${datasource}")}
}

// query is one PromQL query of a time series panel.
func query(ref, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(ref).Expr(expr).LegendFormat(legend).Range()
}

func series(title, description, unit string, width uint32) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Unit(unit).
		Min(0).
		Height(8).
		Span(width).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			ShowLegend(true).
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom))
}

func objectsByReason() *timeseries.PanelBuilder {
	return series("Objects by Ready reason",
		"How many objects of each kind are in each Ready reason (Synced is healthy). "+
			"From nairi_secret_status_condition.", "short", 12).
		Stacking(common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)).
		WithTarget(query("A", `sum by (kind, reason) (nairi_secret_status_condition{type="Ready", `+
			jobFilter+`, `+namespaceFilter+`})`, "{{kind}} {{reason}}"))
}

func notReadyTable() *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title("Objects not Ready").
		Description("Every object whose Ready condition is False now, with its reason. " +
			"`kubectl describe` one for the message and the next step (docs/operations.md).").
		Datasource(datasource()).
		Height(8).
		Span(12).
		NoValue("Every object is Ready").
		WithTarget(prometheus.NewDataqueryBuilder().RefId("A").
			Expr(`max by (kind, namespace, name, reason) (nairi_secret_status_condition{type="Ready", status="False", ` +
				jobFilter + `, ` + namespaceFilter + `})`).
			Format(prometheus.PromQueryFormatTable).
			Instant()).
		WithTransformation(dashboard.DataTransformerConfig{
			Id: "organize",
			Options: map[string]any{
				"excludeByName": map[string]bool{"Time": true, "Value": true},
				"indexByName":   map[string]int{"namespace": 0, "name": 1, "kind": 2, "reason": 3},
			},
		}).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName("namespace"),
		})
}

func apiRequests() *timeseries.PanelBuilder {
	return series("Nairi API requests by route and code",
		`Requests sent to the Nairi API per second. code="error" means no answer (timeout, `+
			"connection refused or reset). Requests held back by the rate limit are not sent and not counted.",
		"reqps", 12).
		WithTarget(query("A", `sum by (method, route, code) (rate(nairi_api_requests_total{`+jobFilter+
			`}[$__rate_interval]))`, "{{method}} {{route}} {{code}}"))
}

func apiLatency() *timeseries.PanelBuilder {
	quantile := func(q string) string {
		return `histogram_quantile(` + q + `, sum by (le, method, route) (rate(nairi_api_request_duration_seconds_bucket{` +
			jobFilter + `}[$__rate_interval])))`
	}
	return series("Nairi API latency (p50, p99)",
		"Time from sending a request to the Nairi API to its answer, by route.", "s", 12).
		WithTarget(query("A", quantile("0.5"), "p50 {{method}} {{route}}")).
		WithTarget(query("B", quantile("0.99"), "p99 {{method}} {{route}}"))
}

func rateLimitPauses() *timeseries.PanelBuilder {
	return series("Time paused after 429s",
		"Share of the time each API key's requests were held back after HTTP 429 answers "+
			"(key_id is a prefix of the key's hash, never the key). NairiAPIRateLimited fires above 50% over 10 minutes.",
		"percentunit", 12).
		Max(1).
		WithTarget(query("A", `sum by (key_id) (rate(nairi_api_rate_limit_pause_seconds_total{`+jobFilter+
			`}[$__rate_interval]))`, "paused {{key_id}}"))
}

func adaptiveRate() *timeseries.PanelBuilder {
	return series("Request rate limit and 429s",
		"The client-side request rate each API key is allowed now (it adapts to 429 answers), "+
			"and the 429 answers received per second.", "reqps", 12).
		WithTarget(query("A", `sum by (key_id) (nairi_api_rate_limit_qps{`+jobFilter+`})`, "limit {{key_id}}")).
		WithTarget(query("B", `sum by (key_id) (rate(nairi_api_rate_limited_total{`+jobFilter+
			`}[$__rate_interval]))`, "429s {{key_id}}"))
}

func reconciles() *timeseries.PanelBuilder {
	return series("Reconciles by result",
		"Reconciles per second of each controller, by result (success, error, requeue, requeue_after).",
		"ops", 8).
		WithTarget(query("A", `sum by (controller, result) (rate(controller_runtime_reconcile_total{`+jobFilter+
			`}[$__rate_interval]))`, "{{controller}} {{result}}"))
}

func reconcileErrors() *timeseries.PanelBuilder {
	return series("Reconcile errors",
		"Reconciles that returned an error per second: transient ones are retried with backoff; "+
			"terminal ones (Stalled) wait for a change.", "ops", 8).
		WithTarget(query("A", `sum by (controller) (rate(controller_runtime_reconcile_errors_total{`+jobFilter+
			`}[$__rate_interval]))`, "{{controller}} errors")).
		WithTarget(query("B", `sum by (controller) (rate(controller_runtime_terminal_reconcile_errors_total{`+
			jobFilter+`}[$__rate_interval]))`, "{{controller}} terminal"))
}

func workqueueDepth() *timeseries.PanelBuilder {
	return series("Workqueue depth",
		"Objects waiting to be reconciled. A depth that stays high means the controller cannot keep up "+
			"(see --max-concurrent-reconciles and --nairi-qps).", "short", 8).
		WithTarget(query("A", `sum by (name) (workqueue_depth{`+jobFilter+`})`, "{{name}}"))
}
