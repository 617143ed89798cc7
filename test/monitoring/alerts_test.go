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
	"os/exec"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

const (
	rulesFile     = "config/prometheus/alerts.rules.yaml"
	rulesTestFile = "config/prometheus/alerts.test.yaml"
)

// The unit tests of every alert (alerts.test.yaml): input series, and the alerts that
// must and must not be firing at given times, evaluated by Prometheus' rule engine.
func TestAlertRules(t *testing.T) {
	if out, err := runPromtool(t, "check", "rules", rulesFile); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := runPromtool(t, "test", "rules", rulesTestFile)
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	t.Log(out)
}

// A broken expectation must fail promtool: otherwise TestAlertRules proves nothing.
func TestAlertRulesTestCanFail(t *testing.T) {
	tests := string(readFile(t, rulesTestFile))
	broken := strings.Replace(tests, "summary: 'NairiSecret shop/db is not Ready: RateLimited'",
		"summary: 'NairiSecret shop/db is not Ready: APIUnavailable'", 1)
	if broken == tests {
		t.Fatal("the expectation to break is no longer in " + rulesTestFile)
	}
	broken = strings.Replace(broken, "- alerts.rules.yaml", "- "+utils.ProjectDir()+"/"+rulesFile, 1)
	out, err := runPromtool(t, "test", "rules", writeTemp(t, "broken.test.yaml", broken))
	if err == nil {
		t.Fatalf("promtool accepted a wrong reason in the NairiSecretNotReady summary:\n%s", out)
	}
	if !strings.Contains(out, "NairiSecretNotReady") {
		t.Fatalf("promtool failed for another reason:\n%s", out)
	}
}

// Every alert has a runbook section in docs/operations.md, a summary and a description,
// and a test case in alerts.test.yaml.
func TestEveryAlertHasRunbookAndTest(t *testing.T) {
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert       string            `json:"alert"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(readFile(t, rulesFile), &file); err != nil {
		t.Fatal(err)
	}
	docs := string(readFile(t, "docs/operations.md"))
	tests := string(readFile(t, rulesTestFile))
	const base = "https://github.com/nairi-secrets-operator/nairi-secrets-operator/blob/main/docs/operations.md#"
	var alerts int
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts++
			for _, key := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[key] == "" {
					t.Errorf("%s has no %s", r.Alert, key)
				}
			}
			if want := base + strings.ToLower(r.Alert); r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			if !strings.Contains(docs, "\n### "+r.Alert+"\n") {
				t.Errorf("docs/operations.md has no section \"### %s\"", r.Alert)
			}
			if !strings.Contains(tests, "alertname: "+r.Alert+"\n    exp_alerts: []") {
				t.Errorf("%s has no case in %s where it must not fire", r.Alert, rulesTestFile)
			}
			if !strings.Contains(tests, "alertname: "+r.Alert+"\n    exp_alerts:\n") {
				t.Errorf("%s has no case in %s where it fires", r.Alert, rulesTestFile)
			}
		}
	}
	if alerts < 5 {
		t.Fatalf("found %d alerts in %s", alerts, rulesFile)
	}
}

// The kustomize PrometheusRule and the chart's copy are the one rules file, unchanged.
func TestRulesHaveOneSource(t *testing.T) {
	source := readFile(t, rulesFile)
	if chart := readFile(t, "dist/chart/files/prometheus/alerts.rules.yaml"); !bytes.Equal(chart, source) {
		t.Error("dist/chart/files/prometheus/alerts.rules.yaml differs from " + rulesFile + ": run make dist")
	}
	cmd := exec.CommandContext(t.Context(), "hack/prometheus-rule.sh")
	cmd.Dir = utils.ProjectDir()
	want, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, "config/prometheus/prometheusrule.yaml"); !bytes.Equal(got, want) {
		t.Error("config/prometheus/prometheusrule.yaml is stale: run make dist")
	}
	var rule struct {
		Spec any `json:"spec"`
	}
	var plain any
	if err := yaml.Unmarshal(want, &rule); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(source, &plain); err != nil {
		t.Fatal(err)
	}
	a, _ := yaml.Marshal(rule.Spec)
	b, _ := yaml.Marshal(plain)
	if !bytes.Equal(a, b) {
		t.Errorf("the PrometheusRule's spec is not the rules file:\n%s\nvs\n%s", a, b)
	}
}
