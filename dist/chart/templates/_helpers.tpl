{{/*
Expand the name of the chart.
*/}}
{{- define "nairi-secrets-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name.
We truncate at 63 chars because some Kubernetes name fields are limited to this (by the DNS naming spec).
If release name contains chart name it will be used as a full name.
*/}}
{{- define "nairi-secrets-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Namespace for generated references.
Always uses the Helm release namespace.
*/}}
{{- define "nairi-secrets-operator.namespaceName" -}}
{{- .Release.Namespace }}
{{- end }}

{{/*
Resource name with proper truncation for Kubernetes 63-character limit.
Takes a dict with:
  - .suffix: Resource name suffix (e.g., "metrics", "webhook")
  - .context: Template context (root context with .Values, .Release, etc.)
Dynamically calculates safe truncation to ensure total name length <= 63 chars.
*/}}
{{- define "nairi-secrets-operator.resourceName" -}}
{{- $fullname := include "nairi-secrets-operator.fullname" .context }}
{{- $suffix := .suffix }}
{{- $maxLen := sub 62 (len $suffix) | int }}
{{- if gt (len $fullname) $maxLen }}
{{- printf "%s-%s" (trunc $maxLen $fullname | trimSuffix "-") $suffix | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" $fullname $suffix | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
ServiceAccount name to use.
When enabled, use the chart's ServiceAccount name.
When disabled, serviceAccount.name must be set; use "default" to pick the namespace default ServiceAccount.
*/}}
{{- define "nairi-secrets-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.enabled }}
{{- include "nairi-secrets-operator.resourceName" (dict "suffix" "controller-manager" "context" .) }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.enabled=false (set name: default explicitly to use the namespace default ServiceAccount)" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Labels every object of the release carries.
*/}}
{{- define "nairi-secrets-operator.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/name: {{ include "nairi-secrets-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
Name of the Secret holding the operator's Nairi API key.
*/}}
{{- define "nairi-secrets-operator.apiKeySecretName" -}}
{{- .Values.nairi.apiKey.secretName | default "nairi-api-key" }}
{{- end }}

{{/*
Splits the rules of the generated ClusterRole for namespaced mode (manager.watchNamespaces
set): "secrets" holds the rules on core Secrets, "other" the rest (a rule on Secrets and
other core resources is cut in two). Returns YAML: {secrets: [...], other: [...]}.
*/}}
{{- define "nairi-secrets-operator.splitSecretRules" -}}
{{- $secrets := list }}
{{- $other := list }}
{{- range $rule := . }}
{{- if and (eq (len $rule.apiGroups) 1) (has "" $rule.apiGroups) (has "secrets" $rule.resources) }}
{{- $secrets = append $secrets (dict "apiGroups" (list "") "resources" (list "secrets") "verbs" $rule.verbs) }}
{{- $rest := without $rule.resources "secrets" }}
{{- if $rest }}
{{- $other = append $other (merge (dict "resources" $rest) (omit $rule "resources")) }}
{{- end }}
{{- else }}
{{- $other = append $other $rule }}
{{- end }}
{{- end }}
{{- toYaml (dict "secrets" $secrets "other" $other) }}
{{- end }}

{{/*
Namespaces where the manager may read Secrets in namespaced mode: the watched ones and
the operator's own (its HMAC key). A YAML list.
*/}}
{{- define "nairi-secrets-operator.secretNamespaces" -}}
{{- toYaml (append .Values.manager.watchNamespaces .Release.Namespace | uniq) }}
{{- end }}
