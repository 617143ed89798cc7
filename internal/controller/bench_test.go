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

package controller

// Micro-benchmarks of the reconciler's hot in-process paths, run by `make bench`:
//
//	go test -run '^$' -bench . -benchmem ./internal/controller/

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// benchDigester is a Digester whose key Secret lives in a fake client; the key is
// created and loaded before the timer starts, as it is after the first reconcile.
func benchDigester(b *testing.B) *Digester {
	b.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).Build()
	d := &Digester{Client: c, Reader: c, Namespace: "nairi-system"}
	if _, err := d.Digest(context.Background(), digestObject("warm-up"), "warm-up"); err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkDigest is the keyed digest every reconcile computes to decide whether to call
// the API: value sizes from a password to a certificate bundle, with and without domains.
func BenchmarkDigest(b *testing.B) {
	d := benchDigester(b)
	ctx := context.Background()
	domains := []secretsv1alpha1.DomainPattern{"*.example.com", "api.example.org", "b.example.net",
		"a.example.io", "*.svc.example.com", "c.example.dev", "d.example.app", "e.example.co"}
	for _, tc := range []struct {
		name    string
		size    int
		domains []secretsv1alpha1.DomainPattern
	}{
		{"value=32B", 32, nil},
		{"value=1KiB", 1 << 10, nil},
		{"value=32KiB", 32 << 10, nil},
		{"value=32B/domains=8", 32, domains},
	} {
		value := strings.Repeat("x", tc.size)
		obj := digestObject("uid")
		obj.Spec.AllowedDomains = tc.domains
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(tc.size))
			for b.Loop() {
				if _, err := d.Digest(ctx, obj, value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDigestParallel shows the digest does not serialize concurrent reconciles
// beyond the short key lock.
func BenchmarkDigestParallel(b *testing.B) {
	d := benchDigester(b)
	ctx := context.Background()
	value := strings.Repeat("x", 64)
	obj := digestObject("uid")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := d.Digest(ctx, obj, value); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSameSet is the drift check's comparison of allowed domains.
func BenchmarkSameSet(b *testing.B) {
	for _, n := range []int{0, 8, 64} {
		a := make([]string, n)
		c := make([]string, n)
		for i := range n {
			a[i] = fmt.Sprintf("d%02d.example.com", i)
			c[n-1-i] = a[i]
		}
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !sameSet(a, c) {
					b.Fatal("not the same set")
				}
			}
		})
	}
}
