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

import (
	"context"
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// TestStatusPatchOutlivesACancelledReconcile: a shutdown cancels the reconcile's context
// right after a POST; the deferred status patch must still record the secret's id.
func TestStatusPatchOutlivesACancelledReconcile(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := secretsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	obj := testObj.DeepCopy()
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(obj).WithStatusSubresource(obj).
		WithInterceptorFuncs(interceptor.Funcs{SubResourcePatch: func(ctx context.Context, cl client.Client, sub string,
			o client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("the status patch has no timeout of its own")
			}
			return cl.SubResource(sub).Patch(ctx, o, patch, opts...)
		}}).Build()
	r := &NairiSecretReconciler{Client: c}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	base := obj.DeepCopy()
	obj.Status.SecretID = "sec_01KQ27AQH800XQTQPJZ0DH14SJ"
	if err := r.patchStatus(ctx, base, obj); err != nil {
		t.Fatalf("status patch with a cancelled reconcile context: %v", err)
	}
	got := &secretsv1alpha1.NairiSecret{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), got); err != nil {
		t.Fatal(err)
	}
	if got.Status.SecretID != obj.Status.SecretID {
		t.Fatalf("status.secretID = %q, want it recorded", got.Status.SecretID)
	}
}
