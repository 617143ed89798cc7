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
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NairiVault (DESIGN.md §2.2) is handled as unstructured data, so the driver builds
// whether or not the tree has the type yet; it is used only when its CRD is there (v2).
// adoptionAllow is NairiVault's spec.adoption that lets objects take over what they did not create.
const adoptionAllow = "Allow"

var nairiVaultGVK = schema.GroupVersionKind{Group: "secrets.nairi.ai", Version: "v1alpha1", Kind: "NairiVault"}

// grantState is what the check needs of a NairiVault.
type grantState struct {
	name       string
	namespaces []string
	// ready is "True/Verified" style: the Ready condition's status and reason.
	ready string
}

// vaultName is the NairiVault that grants the use of a vault in the run.
func (s *soak) vaultName(vault string) string { return "soak-" + strings.ToLower(s.label(vault)) }

func newNairiVault(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(nairiVaultGVK)
	u.SetName(name)
	return u
}

// createGrants makes one NairiVault per vault, allowing a random set of the namespaces,
// with adoption Allow for some vaults.
func (a *actor) createGrants(ctx context.Context) error {
	for _, v := range a.s.vaults {
		nss := []any{}
		var names []string
		for _, ns := range a.s.namespaces {
			if a.pick(5) > 0 {
				nss = append(nss, ns)
				names = append(names, ns)
			}
		}
		adoption := "Deny"
		if a.pick(3) == 0 {
			adoption = adoptionAllow
			a.s.model.allowAdoption(v)
		}
		u := newNairiVault(a.s.vaultName(v))
		u.Object["spec"] = map[string]any{"vaultID": v, "namespaces": nss, "adoption": adoption}
		if err := a.s.c.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create NairiVault: %w", err)
		}
		a.s.hist.add(kindUser, fmt.Sprintf("create NairiVault %s for vault %s: namespaces %v, adoption %s", u.GetName(),
			a.s.label(v), names, adoption), "vault:"+a.s.label(v))
	}
	return nil
}

// patchGrant changes one NairiVault with a merge patch.
func (a *actor) patchGrant(ctx context.Context, v string, change func(spec map[string]any) string) (bool, error) {
	u := newNairiVault(a.s.vaultName(v))
	if err := a.s.c.Get(ctx, client.ObjectKey{Name: u.GetName()}, u); err != nil {
		return false, err
	}
	before := u.DeepCopy()
	spec, _ := u.Object["spec"].(map[string]any)
	if spec == nil {
		return false, nil
	}
	what := change(spec)
	if err := a.s.c.Patch(ctx, u, client.MergeFrom(before)); err != nil {
		return false, err
	}
	a.s.hist.add(kindUser, fmt.Sprintf("NairiVault %s: %s", u.GetName(), what), "vault:"+a.s.label(v))
	return true, nil
}

// changeGrant adds a namespace to a NairiVault or removes one.
func (a *actor) changeGrant(ctx context.Context) (bool, error) {
	v := a.s.vaults[a.pick(len(a.s.vaults))]
	ns := a.ns()
	return a.patchGrant(ctx, v, func(spec map[string]any) string {
		list, _, _ := unstructured.NestedStringSlice(spec, "namespaces")
		what := "allow namespace " + ns
		if i := slices.Index(list, ns); i >= 0 {
			list = slices.Delete(list, i, i+1)
			what = "disallow namespace " + ns
		} else {
			list = append(list, ns)
		}
		_ = unstructured.SetNestedStringSlice(spec, list, "namespaces")
		return what
	})
}

// toggleAdoption flips a NairiVault's adoption between Deny and Allow.
func (a *actor) toggleAdoption(ctx context.Context) (bool, error) {
	v := a.s.vaults[a.pick(len(a.s.vaults))]
	return a.patchGrant(ctx, v, func(spec map[string]any) string {
		if spec["adoption"] == adoptionAllow {
			spec["adoption"] = "Deny"
		} else {
			spec["adoption"] = adoptionAllow
			a.s.model.allowAdoption(v) // recorded before: a lost answer may hide it
		}
		return fmt.Sprintf("adoption %v", spec["adoption"])
	})
}

// readGrants reads the NairiVaults at the end, by vault id.
func (s *soak) readGrants(ctx context.Context) (map[string]grantState, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(nairiVaultGVK.GroupVersion().WithKind("NairiVaultList"))
	if err := s.c.List(ctx, list); err != nil {
		return nil, fmt.Errorf("list NairiVaults: %w", err)
	}
	out := map[string]grantState{}
	for _, u := range list.Items {
		vault, _, _ := unstructured.NestedString(u.Object, "spec", "vaultID")
		nss, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "namespaces")
		g := grantState{name: u.GetName(), namespaces: nss, ready: "<none>"}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
				g.ready = fmt.Sprintf("%v/%v", m["status"], m["reason"])
			}
		}
		out[vault] = g
	}
	return out, nil
}
