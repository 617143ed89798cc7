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
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

const (
	// HMACKeySecretName is the Secret, in the operator's namespace, holding the key of
	// the status digests. Losing it costs one re-push per object, nothing else.
	HMACKeySecretName = "nairi-secrets-operator-hmac-key"
	hmacKeyDataKey    = "key"
	hmacKeySize       = 32
	// DigestPrefix starts every digest of the current format. The version in it makes
	// a format change deliberate: a digest without it can never equal a new one, so each
	// object re-pushes once, and the start-up count (CountStaleDigests) says how many.
	// v1 ("hmac-sha256:…") covered the value and domains only.
	DigestPrefix = "v2:hmac-sha256:"
)

// +kubebuilder:rbac:groups="",namespace=nairi-system,resources=secrets,verbs=create

// Digester computes the keyed digest recorded in status.syncedDigest. It is keyed so
// the status, which many more people can read than the Secret, reveals nothing about
// the value (a plain hash of a short value can be brute-forced).
type Digester struct {
	// Client creates the key Secret; Reader reads it without a cache.
	Client client.Client
	Reader client.Reader
	// Namespace is the operator's namespace.
	Namespace string

	mu  sync.Mutex
	key []byte
}

// Digest returns HMAC-SHA256(key, object UID ‖ vaultID ‖ envKey ‖ value ‖ sorted
// allowed domains), each part length-prefixed so that no two different inputs encode
// alike (DESIGN.md §5). Binding it to the object means equal values in two objects (or
// namespaces) give unrelated digests: a status reader cannot compare values across
// objects, nor test a guessed value by creating an object of their own that holds it.
// value is the value pushed (the rendered one when a template is used).
func (d *Digester) Digest(ctx context.Context, obj *secretsv1alpha1.NairiSecret, value string) (string, error) {
	key, err := d.loadKey(ctx)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	writePart(mac, string(obj.UID))
	writePart(mac, obj.Spec.VaultID)
	writePart(mac, obj.Spec.EnvKey)
	writePart(mac, value)
	sorted := make([]string, len(obj.Spec.AllowedDomains))
	for i, dom := range obj.Spec.AllowedDomains {
		sorted[i] = string(dom)
	}
	slices.Sort(sorted)
	for _, dom := range sorted {
		writePart(mac, dom)
	}
	return DigestPrefix + base64.RawStdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// CountStaleDigests counts the objects whose recorded digest is of an older format:
// each will push its value once (one PATCH) to record a current digest.
func CountStaleDigests(objs []secretsv1alpha1.NairiSecret) int {
	n := 0
	for i := range objs {
		if d := objs[i].Status.SyncedDigest; d != "" && !strings.HasPrefix(d, DigestPrefix) {
			n++
		}
	}
	return n
}

func writePart(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}

// loadKey reads the key Secret, creating it with 32 random bytes on first start. Two
// replicas racing to create it both end up with the one that won.
func (d *Digester) loadKey(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.key != nil {
		return d.key, nil
	}
	name := types.NamespacedName{Namespace: d.Namespace, Name: HMACKeySecretName}
	for range 2 {
		secret := &corev1.Secret{}
		err := d.Reader.Get(quiet(ctx), name, secret)
		if err == nil {
			key := secret.Data[hmacKeyDataKey]
			if len(key) < hmacKeySize {
				return nil, fmt.Errorf("secret %s has no %d-byte %q key: delete it and the operator makes a new one",
					name, hmacKeySize, hmacKeyDataKey)
			}
			d.key = key
			return key, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read HMAC key Secret %s: %w", name, err)
		}
		key := make([]byte, hmacKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate HMAC key: %w", err)
		}
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: HMACKeySecretName,
				Labels: map[string]string{"app.kubernetes.io/name": "nairi-secrets-operator"}},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{hmacKeyDataKey: key},
		}
		err = d.Client.Create(quiet(ctx), secret)
		if err == nil {
			d.key = key
			return key, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create HMAC key Secret %s: %w", name, err)
		}
	}
	return nil, fmt.Errorf("HMAC key Secret %s keeps disappearing", name)
}

// logStaleDigests says at start how many objects carry a digest of an older format and
// so will push their value once, so that the burst of PATCHes after an upgrade is
// expected rather than a surprise.
func (r *NairiSecretReconciler) logStaleDigests(ctx context.Context) {
	var list secretsv1alpha1.NairiSecretList
	if err := r.List(ctx, &list); err != nil {
		logf.FromContext(ctx).Error(err, "cannot count NairiSecrets with an older digest format")
		return
	}
	logf.FromContext(ctx).Info("NairiSecrets whose status digest is of an older format will push their value "+
		"once (one PATCH each) to record a current one", "count", CountStaleDigests(list.Items),
		"of", len(list.Items), "format", DigestPrefix)
}
