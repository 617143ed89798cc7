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

package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// The script's cast: perNamespace NairiSecrets in each namespace, each syncing its own Secret.
var namespaces = []string{"shop", "billing", "analytics"}

const perNamespace = 8

// dataKey is the key of every source Secret.
const dataKey = "value"

// script plays a day in the life of an operator, compressed into a few minutes.
type script struct {
	c     client.Client
	sim   *nairisim.Server
	vault string
	round int
}

func newScript(cp *utils.ControlPlane, sim *nairisim.Server) (*script, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := secretsv1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cp.Config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	return &script{c: c, sim: sim, vault: sim.NewVault()}, nil
}

func (s *script) play(ctx context.Context) error {
	for _, ns := range append([]string{utils.OperatorNamespace}, namespaces...) {
		if err := s.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	step("%d NairiSecrets in %v; analytics/app-6 and app-7 name a Secret that does not exist yet, "+
		"billing/app-7 an empty value", perNamespace*len(namespaces), namespaces)
	for _, ns := range namespaces {
		for i := range perNamespace {
			name := fmt.Sprintf("app-%d", i)
			if ns != "analytics" || i < 6 {
				value := fmt.Sprintf("value-%s-%d", ns, i)
				if ns == "billing" && i == 7 {
					value = ""
				}
				if err := s.c.Create(ctx, secret(ns, name, value)); err != nil {
					return err
				}
			}
			obj := &secretsv1alpha1.NairiSecret{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec: secretsv1alpha1.NairiSecretSpec{
					VaultID: s.vault, EnvKey: fmt.Sprintf("%s_APP_%d", ns, i),
					SecretRef: secretsv1alpha1.SourceSecretRef{Name: name, Key: dataKey},
				},
			}
			if err := s.c.Create(ctx, obj); err != nil {
				return err
			}
		}
	}
	if err := wait(ctx, 90*time.Second); err != nil {
		return err
	}

	step("Nairi fails: dropped connections, then 503 on every PATCH for a minute, while 12 Secrets rotate")
	s.sim.Inject(nairisim.Fault{Method: http.MethodPatch, Route: nairi.RouteSecret, Drop: true, Times: 6})
	s.sim.Inject(nairisim.Fault{Method: http.MethodPatch, Route: nairi.RouteSecret, Status: 503, Times: -1})
	if err := s.rotate(ctx, 4); err != nil {
		return err
	}
	if err := wait(ctx, 60*time.Second); err != nil {
		return err
	}
	step("Nairi recovers")
	s.sim.ClearFaults()
	if err := wait(ctx, 45*time.Second); err != nil {
		return err
	}

	step("Nairi rate limits the key for 45 s (429, Retry-After: 5) while 18 Secrets rotate")
	s.sim.Inject(nairisim.Fault{Status: http.StatusTooManyRequests, Headers: map[string]string{"Retry-After": "5"},
		Body: `{"error":"rate limit exceeded"}`, Times: -1})
	if err := s.rotate(ctx, 6); err != nil {
		return err
	}
	if err := wait(ctx, 45*time.Second); err != nil {
		return err
	}
	s.sim.ClearFaults()
	if err := wait(ctx, 45*time.Second); err != nil {
		return err
	}

	step("a human fixes the missing Secrets and the empty value")
	for _, name := range []string{"app-6", "app-7"} {
		if err := s.c.Create(ctx, secret("analytics", name, "value-"+name)); err != nil {
			return err
		}
	}
	if err := s.setValue(ctx, "billing", "app-7", "value-billing-7"); err != nil {
		return err
	}
	if err := wait(ctx, 60*time.Second); err != nil {
		return err
	}

	step("deleting the shop NairiSecrets app-0 to app-5")
	for i := range 6 {
		obj := &secretsv1alpha1.NairiSecret{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: fmt.Sprintf("app-%d", i)}}
		if err := s.c.Delete(ctx, obj); err != nil {
			return err
		}
	}
	return wait(ctx, 60*time.Second)
}

// rotate gives the first n Secrets of every namespace a new value.
func (s *script) rotate(ctx context.Context, n int) error {
	s.round++
	for _, ns := range namespaces {
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			if err := s.setValue(ctx, ns, name, fmt.Sprintf("value-%s-%d-round-%d", ns, i, s.round)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *script) setValue(ctx context.Context, ns, name, value string) error {
	obj := &corev1.Secret{}
	if err := s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return err
	}
	obj.Data = map[string][]byte{dataKey: []byte(value)}
	return s.c.Update(ctx, obj)
}

func secret(ns, name, value string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data: map[string][]byte{dataKey: []byte(value)}}
}

func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
