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
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// inputVersions returns the resourceVersions of obj's Secrets (the source, and the API-key
// Secret when the key comes from one) as the metadata cache shows them, and the object's
// generation. It reads only the cache: no request to the API server. A Secret the cache
// does not hold gives "", which never matches a recorded version.
//
// Taken before the Secret is read, the versions are never newer than the value read (an
// uncached read is at least as recent as the cache): if the Secret changes in between,
// the versions recorded are older than the value pushed, which costs one extra read later,
// never a skipped change.
func (r *NairiSecretReconciler) inputVersions(ctx context.Context, obj *secretsv1alpha1.NairiSecret) secretsv1alpha1.SyncedFrom {
	v := secretsv1alpha1.SyncedFrom{Generation: obj.Generation,
		SecretResourceVersion: r.cachedVersion(ctx, obj.Namespace, obj.Spec.SecretRef.Name)}
	if ref := obj.Spec.APIKeySecretRef; ref != nil {
		v.APIKeySecretResourceVersion = r.cachedVersion(ctx, obj.Namespace, ref.Name)
	}
	return v
}

// cachedVersion is the resourceVersion of a Secret in the watch cache, "" when unknown.
func (r *NairiSecretReconciler) cachedVersion(ctx context.Context, ns, name string) string {
	if r.SecretMetadata == nil {
		return ""
	}
	key := types.NamespacedName{Namespace: ns, Name: name}
	var obj client.Object = &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}}
	if cacheSecretsInFull {
		obj = &corev1.Secret{}
	}
	if err := r.SecretMetadata.Get(ctx, key, obj); err != nil {
		return ""
	}
	return obj.GetResourceVersion()
}

// unchanged says that the vault already holds what obj asks for, without reading any
// Secret: the object is Ready/Synced at its current generation, its digest is of the
// current format (a new format must push again, once), and its Secrets have the
// resourceVersions recorded when that value was synced. This is what makes a restart cost
// no Secret read, no status write and no API call.
func unchanged(obj *secretsv1alpha1.NairiSecret, now secretsv1alpha1.SyncedFrom) bool {
	ready := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady)
	recorded := obj.Status.SyncedFrom
	return ready != nil && ready.Status == metav1.ConditionTrue && ready.Reason == secretsv1alpha1.ReasonSynced &&
		ready.ObservedGeneration == obj.Generation && obj.Status.ObservedGeneration == obj.Generation &&
		obj.Status.SecretID != "" && strings.HasPrefix(obj.Status.SyncedDigest, DigestPrefix) &&
		recorded != nil && now.SecretResourceVersion != "" && *recorded == now
}
