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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// CacheOptions are the manager's cache settings: the watched namespaces (nil = all), and
// a transform that drops what the operator never reads from every cached object. For
// Secrets, watched as metadata only, that matters beyond memory: kubectl's
// last-applied-configuration annotation of a Secret made with `kubectl apply` holds its
// data, which must not sit in the operator's memory.
func CacheOptions(namespaces map[string]cache.Config) cache.Options {
	return cache.Options{DefaultNamespaces: namespaces, DefaultTransform: stripUnread}
}

// ShardLabel is the label key of the Flux sharding convention: a deployment started with
// --watch-label-selector=sharding.fluxcd.io/key=shard1 handles only the objects labelled
// so, and one started with '!sharding.fluxcd.io/key' handles the rest.
const ShardLabel = "sharding.fluxcd.io/key"

// WithWatchLabelSelector restricts opts to the NairiSecrets matching selector (the
// --watch-label-selector flag), so several operator deployments can split a cluster's
// objects between them. Secrets are not filtered: they are selected by the NairiSecrets
// that name them. nil or an empty selector leaves opts as they are.
func WithWatchLabelSelector(opts cache.Options, selector labels.Selector) cache.Options {
	if selector == nil || selector.Empty() {
		return opts
	}
	if opts.ByObject == nil {
		opts.ByObject = map[client.Object]cache.ByObject{}
	}
	opts.ByObject[&secretsv1alpha1.NairiSecret{}] = cache.ByObject{Label: selector}
	return opts
}

// ClientOptions are the manager's client settings: Secrets are never read through the
// cache (the reconciler reads them with the API reader), so no cached read can build an
// informer holding every Secret of the cluster. Only the fullsecretcache benchmark build
// caches them.
func ClientOptions() client.Options {
	if cacheSecretsInFull {
		return client.Options{}
	}
	return client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&corev1.Secret{}}}}
}

func stripUnread(in any) (any, error) {
	obj, ok := in.(metav1.Object)
	if !ok {
		return in, nil
	}
	obj.SetManagedFields(nil)
	if ann := obj.GetAnnotations(); ann != nil {
		if _, found := ann[corev1.LastAppliedConfigAnnotation]; found {
			delete(ann, corev1.LastAppliedConfigAnnotation)
			obj.SetAnnotations(ann)
		}
	}
	return in, nil
}
