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

// readSource reads the value from the source Secret, uncached, renders spec.template
// when set, and validates the result. Sets SecretNotFound or SecretKeyNotFound (retried
// by the Secret watch), or the terminal InvalidTemplate, EmptyValue or InvalidValue
// (re-evaluated when the Secret or the spec changes).
func (r *NairiSecretReconciler) readSource(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (string, *failure) {
	ref := obj.Spec.SecretRef
	secret, f := readSecret(ctx, r.APIReader, obj.Namespace, ref.Name, secretsv1alpha1.ReasonSecretNotFound,
		"the source Secret")
	if f != nil {
		return "", f
	}
	if obj.Spec.Template != "" {
		return renderSource(obj, secret.Data)
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return "", missingKey(secretsv1alpha1.ReasonSecretKeyNotFound, "the source Secret", obj.Namespace, ref.Name, ref.Key)
	}
	return validValue(data, fmt.Sprintf("Key %q of Secret %s/%s", ref.Key, obj.Namespace, ref.Name))
}

// renderSource renders spec.template over the Secret's data: a key the template names
// and the Secret lacks is SecretKeyNotFound; any other failure is InvalidTemplate.
func renderSource(obj *secretsv1alpha1.NairiSecret, data map[string][]byte) (string, *failure) {
	name := obj.Spec.SecretRef.Name
	value, err := renderTemplate(obj.Spec.Template, data)
	if missing, ok := errors.AsType[*missingKeyError](err); ok {
		return "", &failure{reason: secretsv1alpha1.ReasonSecretKeyNotFound,
			message: fmt.Sprintf("Secret %s/%s has no key %q, which spec.template uses. Add the key or fix the "+
				"template; the operator retries as soon as the Secret changes.", obj.Namespace, name, missing.key)}
	}
	if err != nil {
		return "", &failure{reason: secretsv1alpha1.ReasonInvalidTemplate, stalled: true,
			message: fmt.Sprintf("spec.template cannot be rendered with Secret %s/%s: %v. Fix the template; "+
				"nothing is retried until the NairiSecret or the Secret changes.", obj.Namespace, name, err)}
	}
	return validValue([]byte(value), fmt.Sprintf("The value spec.template renders from Secret %s/%s", obj.Namespace, name))
}

// validValue checks what the API accepts: non-empty UTF-8 text. what names the value.
func validValue(data []byte, what string) (string, *failure) {
	switch {
	case len(data) == 0:
		return "", &failure{reason: secretsv1alpha1.ReasonEmptyValue, stalled: true,
			message: what + " is empty, and Nairi refuses empty values. Put a value in the Secret."}
	case !utf8.Valid(data):
		return "", &failure{reason: secretsv1alpha1.ReasonInvalidValue, stalled: true,
			message: what + " is not valid UTF-8 text, which is all the Nairi API accepts. " +
				"Store binary data base64-encoded."}
	}
	return string(data), nil
}

// readSecretKey returns one data key of a Secret in ns, read without the cache. what
// names the Secret's role in messages; the reasons say how a missing Secret or key is
// reported.
func readSecretKey(ctx context.Context, reader client.Reader, ns string, ref secretsv1alpha1.SecretKeySelector,
	missingSecret, missingKeyReason, what string) ([]byte, *failure) {
	secret, f := readSecret(ctx, reader, ns, ref.Name, missingSecret, what)
	if f != nil {
		return nil, f
	}
	data, ok := secret.Data[ref.Key]
	if !ok {
		return nil, missingKey(missingKeyReason, what, ns, ref.Name, ref.Key)
	}
	return data, nil
}

// readSecret reads a whole Secret in ns without the cache, with a logger that drops
// everything (see quiet). A missing Secret is reported with the reason missingSecret.
func readSecret(ctx context.Context, reader client.Reader, ns, name, missingSecret, what string) (*corev1.Secret, *failure) {
	secret := &corev1.Secret{}
	err := reader.Get(quiet(ctx), types.NamespacedName{Namespace: ns, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, &failure{reason: missingSecret,
			message: fmt.Sprintf("%s %s/%s does not exist. Create it; the operator retries as soon as it appears.",
				capitalize(what), ns, name)}
	case err != nil:
		return nil, &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: fmt.Errorf("read Secret %s/%s: %w", ns, name, err),
			message: fmt.Sprintf("Could not read %s %s/%s from the Kubernetes API; retrying.", what, ns, name)}
	}
	return secret, nil
}

func missingKey(reason, what, ns, name, key string) *failure {
	return &failure{reason: reason,
		message: fmt.Sprintf("%s %s/%s has no key %q. Add the key or fix the reference; the operator "+
			"retries as soon as the Secret changes.", capitalize(what), ns, name, key)}
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
