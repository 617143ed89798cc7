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
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// readSource reads the value from the source Secret, uncached, and validates it.
// Sets SecretNotFound or SecretKeyNotFound (retried by the Secret watch), or the
// terminal EmptyValue or InvalidValue (re-evaluated when the Secret changes).
func (r *NairiSecretReconciler) readSource(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (string, *failure) {
	ref := obj.Spec.SecretRef
	data, f := readSecretKey(ctx, r.APIReader, obj.Namespace, ref, secretsv1alpha1.ReasonSecretNotFound,
		secretsv1alpha1.ReasonSecretKeyNotFound, "the source Secret")
	if f != nil {
		return "", f
	}
	switch {
	case len(data) == 0:
		return "", &failure{reason: secretsv1alpha1.ReasonEmptyValue, stalled: true,
			message: fmt.Sprintf("Key %q of Secret %s/%s is empty, and Nairi refuses empty values. "+
				"Put a value in the Secret.", ref.Key, obj.Namespace, ref.Name)}
	case !utf8.Valid(data):
		return "", &failure{reason: secretsv1alpha1.ReasonInvalidValue, stalled: true,
			message: fmt.Sprintf("Key %q of Secret %s/%s is not valid UTF-8 text, which is all the Nairi API "+
				"accepts. Store binary data base64-encoded.", ref.Key, obj.Namespace, ref.Name)}
	}
	return string(data), nil
}

// readSecretKey returns one data key of a Secret in ns, read without the cache. what
// names the Secret's role in messages; the reasons say how a missing Secret or key is
// reported.
func readSecretKey(ctx context.Context, reader client.Reader, ns string, ref secretsv1alpha1.SecretKeySelector,
	missingSecret, missingKey, what string) ([]byte, *failure) {
	secret := &corev1.Secret{}
	err := reader.Get(quiet(ctx), types.NamespacedName{Namespace: ns, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &failure{reason: missingSecret,
			message: fmt.Sprintf("%s %s/%s does not exist. Create it; the operator retries as soon as it appears.",
				capitalize(what), ns, ref.Name)}
	case err != nil:
		return nil, &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: fmt.Errorf("read Secret %s/%s: %w", ns, ref.Name, err),
			message: fmt.Sprintf("Could not read %s %s/%s from the Kubernetes API; retrying.", what, ns, ref.Name)}
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, &failure{reason: missingKey,
			message: fmt.Sprintf("%s %s/%s has no key %q. Add the key or fix the reference; the operator "+
				"retries as soon as the Secret changes.", capitalize(what), ns, ref.Name, ref.Key)}
	}
	return data, nil
}

// quiet returns ctx with a logger that drops everything, for calls that carry Secret data:
// client-go logs request and response bodies at verbosity 8 through the context's logger,
// and a Secret's body is its data (--zap-log-level=8 would otherwise print it).
func quiet(ctx context.Context) context.Context {
	return logr.NewContext(ctx, logr.Discard())
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
