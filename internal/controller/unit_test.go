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
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// These tests pin the pieces the envtest suite cannot reach precisely: the error
// classification table, the digest, the shared List and the credentials.

var testObj = &secretsv1alpha1.NairiSecret{
	ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"},
	Spec:       secretsv1alpha1.NairiSecretSpec{VaultID: "vlt_01KQ27AQH800XQTQPJZ0DH14SJ", EnvKey: "DATABASE_URL"},
}

func TestClassify(t *testing.T) {
	apiErr := func(status int, msg string, retry time.Duration) error {
		return fmt.Errorf("wrapped: %w", &nairi.APIError{StatusCode: status, Message: msg, RetryAfter: retry,
			Method: "POST", Route: nairi.RouteSecrets})
	}
	tests := []struct {
		name      string
		err       error
		reason    string
		stalled   bool
		transient bool
		retry     [2]time.Duration // bounds of retryAfter
		message   string
	}{
		{"401", apiErr(401, "unauthorized", 0), secretsv1alpha1.ReasonUnauthorized, false, false,
			[2]time.Duration{270 * time.Second, 330 * time.Second}, "HTTP 401: unauthorized"},
		{"404 vault", apiErr(404, "vault not found", 0), secretsv1alpha1.ReasonVaultNotFound, false, false,
			[2]time.Duration{270 * time.Second, 330 * time.Second}, "Create it in Nairi or fix spec.vaultID"},
		{"429 with Retry-After", apiErr(429, "slow down", 7*time.Second), secretsv1alpha1.ReasonRateLimited, false, false,
			[2]time.Duration{7 * time.Second, 7 * time.Second}, "retrying in 7s"},
		{"429 without Retry-After backs off", apiErr(429, "slow down", 0), secretsv1alpha1.ReasonRateLimited, false, true,
			[2]time.Duration{}, "retrying with backoff"},
		{"500", apiErr(500, "Internal Server Error", 0), secretsv1alpha1.ReasonAPIUnavailable, false, true,
			[2]time.Duration{}, "Retrying with backoff"},
		{"transport", &nairi.TransportError{Method: "POST", Route: nairi.RouteSecrets, Err: context.DeadlineExceeded},
			secretsv1alpha1.ReasonAPIUnavailable, false, true, [2]time.Duration{}, "deadline exceeded"},
		{"400", apiErr(400, "allowed_domains is invalid", 0), secretsv1alpha1.ReasonRejected, true, false,
			[2]time.Duration{}, "HTTP 400: allowed_domains is invalid"},
		{"404 secret", apiErr(404, "secret not found", 0), secretsv1alpha1.ReasonRejected, true, false,
			[2]time.Duration{}, "HTTP 404: secret not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := classify(tt.err, "create the vault secret", testObj)
			if f.reason != tt.reason || f.stalled != tt.stalled || (f.err != nil) != tt.transient {
				t.Fatalf("got reason %s stalled %v transient %v", f.reason, f.stalled, f.err != nil)
			}
			if f.retryAfter < tt.retry[0] || f.retryAfter > tt.retry[1] {
				t.Errorf("retryAfter %s not in %v", f.retryAfter, tt.retry)
			}
			if !strings.Contains(f.message, tt.message) {
				t.Errorf("message %q lacks %q", f.message, tt.message)
			}
		})
	}
}

func TestBackoffGrowsFromOneSecondToFiveMinutesWithJitter(t *testing.T) {
	b := newBackoff(time.Second, 5*time.Minute)
	item := reconcile.Request{}
	first := b.When(item)
	if first < 900*time.Millisecond || first > 1100*time.Millisecond {
		t.Fatalf("first backoff %s, want about 1s", first)
	}
	var last time.Duration
	for range 20 {
		last = b.When(item)
	}
	if last < 270*time.Second || last > 330*time.Second {
		t.Fatalf("backoff after many failures %s, want about 5m", last)
	}
	b.Forget(item)
	if again := b.When(item); again > 1100*time.Millisecond {
		t.Fatalf("backoff after Forget %s, want about 1s again", again)
	}
}

func newDigester(t *testing.T, objs ...runtime.Object) *Digester {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithRuntimeObjects(objs...).Build()
	return &Digester{Client: c, Reader: c, Namespace: "nairi-system"}
}

func TestDigestIsKeyedAndComparesDomainsAsASet(t *testing.T) {
	ctx := context.Background()
	d := newDigester(t)
	obj := digestObject("uid-1")
	a, err := d.Digest(ctx, obj, "value")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a, "v2:hmac-sha256:") || strings.Contains(a, "value") {
		t.Fatalf("digest %q", a)
	}
	reordered := obj.DeepCopy()
	reordered.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.b.com", "a.com"}
	if same, _ := d.Digest(ctx, reordered, "value"); same != a {
		t.Error("domain order changed the digest")
	}

	// The key was stored; a second operator process uses the same one.
	again, _ := newDigesterSharing(d).Digest(ctx, obj, "value")
	if again != a {
		t.Error("a second process computed another digest from the stored key")
	}
	// Another key (a lost Secret) gives another digest: one re-push per object.
	other, _ := newDigester(t).Digest(ctx, obj, "value")
	if other == a {
		t.Error("the digest does not depend on the key")
	}
}

// digestObject is a NairiSecret with every part the digest covers set.
func digestObject(uid types.UID) *secretsv1alpha1.NairiSecret {
	return &secretsv1alpha1.NairiSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db", UID: uid},
		Spec: secretsv1alpha1.NairiSecretSpec{VaultID: "vlt_01KQ27AQH800XQTQPJZ0DH14SJ", EnvKey: "DATABASE_URL",
			AllowedDomains: []secretsv1alpha1.DomainPattern{"a.com", "*.b.com"}},
	}
}

// DESIGN.md §5: the digest is bound to the object, so equal values in two objects give
// unrelated digests, and every part it covers changes it.
func TestDigestIsBoundToTheObjectAndCoversEveryPart(t *testing.T) {
	ctx := context.Background()
	d := newDigester(t)
	base := digestObject("uid-1")
	a, err := d.Digest(ctx, base, "value")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := d.Digest(ctx, digestObject("uid-2"), "value"); b == a {
		t.Error("two objects holding one value have the same digest")
	}
	changes := map[string]func(*secretsv1alpha1.NairiSecret) string{
		"uid": func(o *secretsv1alpha1.NairiSecret) string { o.UID = "uid-1x"; return "value" },
		"vaultID": func(o *secretsv1alpha1.NairiSecret) string {
			o.Spec.VaultID = "vlt_01KQ27AQH800XQTQPJZ0DH14SK"
			return "value"
		},
		"envKey": func(o *secretsv1alpha1.NairiSecret) string { o.Spec.EnvKey = "DATABASE_URL2"; return "value" },
		"value":  func(o *secretsv1alpha1.NairiSecret) string { return "value2" },
		"a domain": func(o *secretsv1alpha1.NairiSecret) string {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"a.com"}
			return "value"
		},
		"no domains": func(o *secretsv1alpha1.NairiSecret) string { o.Spec.AllowedDomains = nil; return "value" },
		// Without length prefixes these would encode alike.
		"a part moved across a boundary": func(o *secretsv1alpha1.NairiSecret) string {
			o.Spec.EnvKey = "DATABASE_URLvalue"
			return ""
		},
		"a domain moved into the value": func(o *secretsv1alpha1.NairiSecret) string {
			o.Spec.AllowedDomains = []secretsv1alpha1.DomainPattern{"*.b.com"}
			return "valuea.com"
		},
	}
	seen := map[string]string{a: "base"}
	for name, change := range changes {
		obj := base.DeepCopy()
		value := change(obj)
		got, err := d.Digest(ctx, obj, value)
		if err != nil {
			t.Fatal(err)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("changing %s gives the digest of %s", name, prev)
		}
		seen[got] = name
	}
}

func TestCountStaleDigestsCountsOlderFormatsOnly(t *testing.T) {
	objs := []secretsv1alpha1.NairiSecret{
		{Status: secretsv1alpha1.NairiSecretStatus{SyncedDigest: "hmac-sha256:v1digest"}},
		{Status: secretsv1alpha1.NairiSecretStatus{SyncedDigest: DigestPrefix + "current"}},
		{Status: secretsv1alpha1.NairiSecretStatus{}}, // never synced, or a conflict loser
		{Status: secretsv1alpha1.NairiSecretStatus{SyncedDigest: "hmac-sha256:another"}},
	}
	if n := CountStaleDigests(objs); n != 2 {
		t.Errorf("CountStaleDigests = %d, want 2", n)
	}
}

func newDigesterSharing(d *Digester) *Digester {
	return &Digester{Client: d.Client, Reader: d.Reader, Namespace: d.Namespace}
}

func TestDigesterRefusesAShortKey(t *testing.T) {
	d := newDigester(t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "nairi-system", Name: HMACKeySecretName},
		Data: map[string][]byte{"key": []byte("short")}})
	if _, err := d.Digest(context.Background(), digestObject("uid"), "v"); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("err = %v", err)
	}
}

// countingClient counts Lists and lets a test hold them in flight.
type countingClient struct {
	VaultClient
	lists   atomic.Int32
	release chan struct{}
	err     error
}

func (c *countingClient) ListSecrets(ctx context.Context, vaultID string) ([]nairi.Secret, error) {
	c.lists.Add(1)
	if c.release != nil {
		<-c.release
	}
	return []nairi.Secret{{ID: "sec_1"}}, c.err
}

func TestListCacheSharesOneListAndDropsItAfterWrites(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	cache := &ListCache{TTL: 5 * time.Second, Now: func() time.Time { return now }}
	cl := &countingClient{release: make(chan struct{})}
	api := vaultAPI{VaultClient: cl, keyID: "key1"}

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if s, err := cache.List(ctx, api, "vlt_1"); err != nil || len(s) != 1 {
				t.Errorf("List = %v, %v", s, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // let the callers join the List in flight
	close(cl.release)
	wg.Wait()
	if n := cl.lists.Load(); n != 1 {
		t.Fatalf("%d concurrent callers made %d Lists, want 1", 10, n)
	}
	_, _ = cache.List(ctx, api, "vlt_1")
	if n := cl.lists.Load(); n != 1 {
		t.Fatalf("a List within the TTL was not reused (%d Lists)", n)
	}
	_, _ = cache.List(ctx, vaultAPI{VaultClient: cl, keyID: "key2"}, "vlt_1")
	if n := cl.lists.Load(); n != 2 {
		t.Fatalf("another API key shared the List (%d Lists)", n)
	}
	cache.Invalidate(api, "vlt_1")
	_, _ = cache.List(ctx, api, "vlt_1")
	if n := cl.lists.Load(); n != 3 {
		t.Fatalf("a List survived a write (%d Lists)", n)
	}
	now = now.Add(6 * time.Second)
	_, _ = cache.List(ctx, api, "vlt_1")
	if n := cl.lists.Load(); n != 4 {
		t.Fatalf("a List older than the TTL was reused (%d Lists)", n)
	}
}

func TestListCacheDoesNotKeepErrors(t *testing.T) {
	cache := &ListCache{TTL: time.Minute}
	cl := &countingClient{err: errors.New("boom")}
	api := vaultAPI{VaultClient: cl, keyID: "k"}
	_, _ = cache.List(context.Background(), api, "vlt_1")
	_, _ = cache.List(context.Background(), api, "vlt_1")
	if n := cl.lists.Load(); n != 2 {
		t.Fatalf("a failed List was reused (%d Lists)", n)
	}
}

func TestCredentials(t *testing.T) {
	made := 0
	creds := &Credentials{
		OperatorKey: func() (string, error) { return "", nil },
		NewClient: func(key string) (VaultClient, error) {
			made++
			return nairi.New("https://api.nairi.ai", key)
		},
	}
	_, f := creds.ClientFor(context.Background(), testObj)
	if f == nil || f.reason != secretsv1alpha1.ReasonUnauthorized ||
		!strings.Contains(f.message, "NAIRI_API_KEY or --nairi-api-key-file") || f.retryAfter == 0 {
		t.Fatalf("no key: %+v", f)
	}

	creds.OperatorKey = func() (string, error) { return "ccagent_daemon_key_canary", nil }
	_, f = creds.ClientFor(context.Background(), testObj)
	if f == nil || f.reason != secretsv1alpha1.ReasonUnauthorized || strings.Contains(f.message, "canary") {
		t.Fatalf("ccagent key: %+v", f)
	}

	key := "nr_first"
	creds.OperatorKey = func() (string, error) { return key, nil }
	a, _ := creds.ClientFor(context.Background(), testObj)
	b, _ := creds.ClientFor(context.Background(), testObj)
	if a.VaultClient != b.VaultClient || a.keyID != b.keyID || strings.Contains(a.keyID, "first") {
		t.Fatal("one key must give one cached client, identified by a hash")
	}
	key = "nr_second"
	c, _ := creds.ClientFor(context.Background(), testObj)
	if c.VaultClient == a.VaultClient || c.keyID == a.keyID {
		t.Fatal("a rotated key reused the old key's client")
	}
}

func TestOlderOrdersByCreationThenNamespaceThenName(t *testing.T) {
	at := func(sec int64, ns, name string) *secretsv1alpha1.NairiSecret {
		return &secretsv1alpha1.NairiSecret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			CreationTimestamp: metav1.Unix(sec, 0)}}
	}
	cases := []struct {
		a, b *secretsv1alpha1.NairiSecret
		want bool
	}{
		{at(1, "z", "z"), at(2, "a", "a"), true},
		{at(2, "a", "a"), at(1, "z", "z"), false},
		{at(1, "a", "z"), at(1, "a-b", "a"), true},
		{at(1, "a-b", "a"), at(1, "a", "z"), false},
		{at(1, "a", "x"), at(1, "a", "y"), true},
	}
	for _, c := range cases {
		if got := older(c.a, c.b); got != c.want {
			t.Errorf("older(%s/%s@%v, %s/%s@%v) = %v", c.a.Namespace, c.a.Name, c.a.CreationTimestamp,
				c.b.Namespace, c.b.Name, c.b.CreationTimestamp, got)
		}
	}
}

func TestSameSet(t *testing.T) {
	if !sameSet([]string{"b", "a"}, []string{"a", "b"}) || !sameSet(nil, []string{}) ||
		sameSet([]string{"a"}, []string{"a", "b"}) {
		t.Fatal("sameSet")
	}
}

func TestRemoteTimeKeepsEveryDigitTheAPISent(t *testing.T) {
	ms := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	if got := formatRemoteTime(ms); got != "2026-11-27T10:00:00.000Z" {
		t.Errorf("documented millisecond form: %s", got)
	}
	fine := ms.Add(1234567 * time.Nanosecond)
	got := formatRemoteTime(fine)
	if parsed, err := time.Parse(time.RFC3339Nano, got); err != nil || !parsed.Equal(fine) {
		t.Errorf("%s does not round-trip %s", got, fine)
	}
}

func TestListCacheForgetsOldLists(t *testing.T) {
	now := time.Unix(1000, 0)
	cache := &ListCache{TTL: time.Second, Now: func() time.Time { return now }}
	cl := &countingClient{}
	for i := range 100 {
		_, _ = cache.List(context.Background(), vaultAPI{VaultClient: cl, keyID: "k"}, fmt.Sprintf("vlt_%d", i))
		now = now.Add(time.Second)
	}
	if n := len(cache.entries); n > 2 {
		t.Fatalf("%d Lists kept for 100 vaults listed a second apart with a 1 s TTL", n)
	}
}

func TestCredentialsEvictTheLeastRecentlyUsedKey(t *testing.T) {
	key := "nr_operator"
	creds := &Credentials{
		OperatorKey: func() (string, error) { return key, nil },
		NewClient:   func(k string) (VaultClient, error) { return nairi.New("https://api.nairi.ai", k) },
	}
	operator, _ := creds.ClientFor(context.Background(), testObj)
	for i := range maxCachedClients + 10 {
		key = fmt.Sprintf("nr_rotated_%d", i)
		_, _ = creds.ClientFor(context.Background(), testObj)
		key = "nr_operator"
		if i%16 == 0 {
			_, _ = creds.ClientFor(context.Background(), testObj) // still in use
		}
		time.Sleep(time.Microsecond) // distinct lastUsed times
	}
	if len(creds.clients) > maxCachedClients {
		t.Fatalf("%d clients cached, limit %d", len(creds.clients), maxCachedClients)
	}
	again, _ := creds.ClientFor(context.Background(), testObj)
	if again.VaultClient != operator.VaultClient {
		t.Fatal("the key in use lost its client (and its rate-limit state)")
	}
}

// A loser forgets its digest, so it writes when it takes over, and keeps its secretID, by
// which the owner recognises the vault secret it created (DESIGN.md §4 steps 4 and 6 (d)).
func TestAConflictLoserForgetsItsDigestButKeepsItsSecretID(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := secretsv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	owner := testObj.DeepCopy()
	owner.Namespace, owner.UID, owner.CreationTimestamp = "a", "owner", metav1.Unix(100, 0)
	loser := testObj.DeepCopy()
	loser.Namespace, loser.UID, loser.CreationTimestamp = "z", "loser", metav1.Unix(100, 0)
	now := metav1.Now()
	loser.Status = secretsv1alpha1.NairiSecretStatus{SecretID: "sec_1", SyncedDigest: "hmac-sha256:x",
		RemoteUpdatedAt: "2026-11-27T10:00:00.000Z", LastSyncedTime: &now,
		SyncedFrom: &secretsv1alpha1.SyncedFrom{SecretResourceVersion: "7", Generation: 1}}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(owner, loser).
		WithIndex(&secretsv1alpha1.NairiSecret{}, indexVaultKey, func(o client.Object) []string {
			return []string{vaultKey(o.(*secretsv1alpha1.NairiSecret))}
		}).Build()
	r := &NairiSecretReconciler{Client: c}

	f := r.checkConflict(context.Background(), loser)
	if f == nil || f.reason != secretsv1alpha1.ReasonConflict || !f.stalled {
		t.Fatalf("same second, namespace a before z: want Conflict for z, got %+v", f)
	}
	if loser.Status.SyncedDigest != "" || loser.Status.SecretID != "sec_1" {
		t.Fatalf("want the digest cleared and the secretID kept: %+v", loser.Status)
	}
	if strings.Contains(f.message, owner.Namespace+"/") || !strings.Contains(f.message, "Another NairiSecret, which is older") {
		t.Fatalf("the message names the owner's namespace: %s", f.message)
	}
	if f := r.checkConflict(context.Background(), owner); f != nil {
		t.Fatalf("owner got %+v", f)
	}
}
