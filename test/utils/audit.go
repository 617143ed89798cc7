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
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// AuditEvent is the part of a kube-apiserver audit event (Metadata level) that says who
// did what to which resource, and what the API server answered.
type AuditEvent struct {
	AuditID string `json:"auditID"`
	Stage   string `json:"stage"`
	Verb    string `json:"verb"`
	URI     string `json:"requestURI"`
	User    struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		APIGroup    string `json:"apiGroup"`
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
}

// Permission is one RBAC check a request needed: verb on group/resource[/subresource],
// in a namespace ("" for cluster-scoped requests and lists across namespaces).
type Permission struct {
	Verb, APIGroup, Resource, Namespace, Name string
}

func (p Permission) String() string {
	where := "cluster-wide"
	if p.Namespace != "" {
		where = "in namespace " + p.Namespace
	}
	group := p.APIGroup
	if group == "" {
		group = "core"
	}
	name := ""
	if p.Name != "" {
		name = " " + p.Name
	}
	return fmt.Sprintf("%s %s/%s%s %s", p.Verb, group, p.Resource, name, where)
}

// ReadAudit returns the resource requests of the log's events, one per request (the
// stages of one request share an audit ID), by user name. Requests without an object
// (discovery, /healthz) are left out: every authenticated user may make them.
func ReadAudit(path string) (map[string][]Permission, map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = f.Close() }()
	seen := map[string]bool{}
	used := map[string][]Permission{}
	forbidden := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for sc.Scan() {
		var ev AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, nil, fmt.Errorf("audit log %s: %w", path, err)
		}
		if ev.ObjectRef == nil || seen[ev.AuditID] {
			continue
		}
		seen[ev.AuditID] = true
		resource := ev.ObjectRef.Resource
		if ev.ObjectRef.Subresource != "" {
			resource += "/" + ev.ObjectRef.Subresource
		}
		p := Permission{Verb: ev.Verb, APIGroup: ev.ObjectRef.APIGroup, Resource: resource,
			Namespace: ev.ObjectRef.Namespace, Name: ev.ObjectRef.Name}
		used[ev.User.Username] = append(used[ev.User.Username], p)
		if ev.ResponseStatus != nil && ev.ResponseStatus.Code == 403 {
			forbidden[ev.User.Username] = append(forbidden[ev.User.Username], p.String()+" ("+ev.URI+")")
		}
	}
	return used, forbidden, sc.Err()
}

// grant is one rule of one role, with where a binding makes it apply.
type grant struct {
	rule rbacv1.PolicyRule
	// namespace is where it applies; "" = everywhere (a ClusterRoleBinding).
	namespace string
	// source names the role and binding, for the report.
	source string
}

// Grants evaluates the identity's rendered RBAC the way the API server's RBAC
// authorizer does (for what the manager uses: apiGroups, resources with subresources,
// verbs, resourceNames and the "*" wildcard).
type Grants struct {
	grants []grant
}

// NewGrants collects the rules the identity's bindings give its ServiceAccount.
func (id *ChartIdentity) NewGrants() (*Grants, error) {
	roles := map[string][]rbacv1.PolicyRule{} // "Kind/namespace/name"
	for _, obj := range id.RBAC {
		if obj.GetKind() != kindRole && obj.GetKind() != kindClusterRole {
			continue
		}
		var role rbacv1.ClusterRole
		if err := fromUnstructured(obj, &role); err != nil {
			return nil, err
		}
		roles[obj.GetKind()+"/"+obj.GetNamespace()+"/"+obj.GetName()] = role.Rules
	}
	g := &Grants{}
	for _, obj := range id.RBAC {
		if obj.GetKind() != "RoleBinding" && obj.GetKind() != "ClusterRoleBinding" {
			continue
		}
		var b rbacv1.RoleBinding
		if err := fromUnstructured(obj, &b); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(b.Subjects, func(s rbacv1.Subject) bool {
			return s.Kind == kindServiceAccount && s.Namespace == id.Namespace && s.Name == id.ServiceAccountName()
		}) {
			continue
		}
		ns := obj.GetNamespace() // "" for a ClusterRoleBinding
		roleNS := ns
		if b.RoleRef.Kind == kindClusterRole {
			roleNS = ""
		}
		for _, rule := range roles[b.RoleRef.Kind+"/"+roleNS+"/"+b.RoleRef.Name] {
			g.grants = append(g.grants, grant{rule: rule, namespace: ns,
				source: fmt.Sprintf("%s %s via %s %s", b.RoleRef.Kind, b.RoleRef.Name, obj.GetKind(), obj.GetName())})
		}
	}
	return g, nil
}

func fromUnstructured(obj *unstructured.Unstructured, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, into)
}

// Allows reports whether some rule allows p.
func (g *Grants) Allows(p Permission) bool {
	for _, gr := range g.grants {
		if gr.allows(p) {
			return true
		}
	}
	return false
}

func (gr grant) allows(p Permission) bool {
	if gr.namespace != "" && gr.namespace != p.Namespace {
		return false
	}
	r := gr.rule
	return matches(r.APIGroups, p.APIGroup) && matches(r.Resources, p.Resource) && matches(r.Verbs, p.Verb) &&
		(len(r.ResourceNames) == 0 || (p.Name != "" && slices.Contains(r.ResourceNames, p.Name)))
}

func matches(list []string, s string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, s)
}

// Unused lists, for the report, every verb of every granted rule that none of used
// needed, as "verb group/resource (where; from which role)".
func (g *Grants) Unused(used []Permission) []string {
	var out []string
	for _, gr := range g.grants {
		for _, group := range gr.rule.APIGroups {
			for _, resource := range gr.rule.Resources {
				for _, verb := range gr.rule.Verbs {
					one := grant{rule: rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource},
						Verbs: []string{verb}, ResourceNames: gr.rule.ResourceNames}, namespace: gr.namespace}
					if slices.ContainsFunc(used, one.allows) {
						continue
					}
					where := "cluster-wide"
					if gr.namespace != "" {
						where = "in " + gr.namespace
					}
					shown := group
					if shown == "" {
						shown = "core"
					}
					out = append(out, fmt.Sprintf("%s %s/%s %s (%s)", verb, shown, resource, where, gr.source))
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Denied returns the distinct permissions of used that the grants do not allow.
func (g *Grants) Denied(used []Permission) []string {
	var out []string
	for _, p := range used {
		if !g.Allows(p) {
			out = append(out, p.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// FormatList renders items one per line, indented, for failure messages and reports.
func FormatList(items []string) string {
	if len(items) == 0 {
		return "  (none)\n"
	}
	return "  " + strings.Join(items, "\n  ") + "\n"
}
