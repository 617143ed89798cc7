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

// Package monitoring tests what an on-call engineer relies on: the alert rules, run by
// Prometheus' own rule engine (promtool, built by `make promtool`), and the Grafana
// dashboard, whose committed JSON must be what internal/dashboard generates and whose
// every query must be valid PromQL.
package monitoring
