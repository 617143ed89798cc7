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
	"strings"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// maxCachedClients bounds the client cache; past it the least recently used go.
const maxCachedClients = 256

// Credentials finds the API key of a NairiSecret and hands out one client per key, so
// the client-side rate limit and the pause after a 429 are shared by everything that
// uses that key (the limit belongs to the key).
type Credentials struct {
	// Reader reads API-key Secrets without a cache.
	Reader client.Reader
	// OperatorKey returns the operator's own key ("" when it has none). It is called on
	// every use, so a key file that Kubernetes updates is picked up without a restart.
	OperatorKey func() (string, error)
	// NewClient makes a client for an API key.
	NewClient func(apiKey string) (VaultClient, error)

	mu      sync.Mutex
	clients map[string]*cachedClient
}

type cachedClient struct {
	VaultClient
	lastUsed time.Time
}

// vaultAPI is a client together with an id of its key that is safe to keep and compare
// (a hash, never the key), and the grant under which it is used.
type vaultAPI struct {
	VaultClient
	keyID string
	grant grant
}

// ClientFor returns the client for obj's own API key (spec.apiKeySecretRef), else the
// operator's, as when no NairiVault is involved.
func (c *Credentials) ClientFor(ctx context.Context, obj *secretsv1alpha1.NairiSecret) (vaultAPI, *failure) {
	g, _ := resolveGrant(obj, nil, nil, false, "")
	return c.ClientForGrant(ctx, g)
}

// ClientForGrant returns the client for the key a grant resolved to (DESIGN.md §2.2),
// carrying the grant. A missing or unusable key is reported as Unauthorized with what is
// missing.
func (c *Credentials) ClientForGrant(ctx context.Context, g grant) (vaultAPI, *failure) {
	api, f := c.clientForKey(ctx, g.key)
	api.grant = g
	return api, f
}

func (c *Credentials) clientForKey(ctx context.Context, src keySource) (vaultAPI, *failure) {
	key, f := c.apiKey(ctx, src)
	if f != nil {
		return vaultAPI{}, f
	}
	id := nairi.KeyID(key)

	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[id]; ok {
		cl.lastUsed = time.Now()
		return vaultAPI{VaultClient: cl.VaultClient, keyID: id}, nil
	}
	cl, err := c.NewClient(key)
	if err != nil {
		// The client's errors never contain the key (internal/nairi checks that).
		return vaultAPI{}, &failure{reason: secretsv1alpha1.ReasonUnauthorized, retryAfter: jitter(slowRetry),
			message: fmt.Sprintf("The Nairi API key cannot be used: %v. %s", err, src.hint())}
	}
	if c.clients == nil {
		c.clients = map[string]*cachedClient{}
	}
	c.evictLocked()
	c.clients[id] = &cachedClient{VaultClient: cl, lastUsed: time.Now()}
	return vaultAPI{VaultClient: cl, keyID: id}, nil
}

// evictLocked makes room by dropping the least recently used clients: keys rotated away
// go, while the keys in use keep their clients and with them their rate-limit state.
func (c *Credentials) evictLocked() {
	for len(c.clients) >= maxCachedClients {
		oldest := ""
		for id, cl := range c.clients {
			if oldest == "" || cl.lastUsed.Before(c.clients[oldest].lastUsed) {
				oldest = id
			}
		}
		delete(c.clients, oldest)
	}
}

func (c *Credentials) apiKey(ctx context.Context, src keySource) (string, *failure) {
	if ref := src.ref; ref != nil {
		data, f := readSecretKey(ctx, c.Reader, src.namespace, *ref, secretsv1alpha1.ReasonUnauthorized,
			secretsv1alpha1.ReasonUnauthorized, src.what)
		if f != nil {
			if f.err == nil {
				f.retryAfter = jitter(slowRetry)
			}
			return "", f
		}
		if key := strings.TrimSpace(string(data)); key != "" {
			return key, nil
		}
		return "", &failure{reason: secretsv1alpha1.ReasonUnauthorized, retryAfter: jitter(slowRetry), message: fmt.Sprintf(
			"Key %q of the API key Secret %s/%s is empty. Put an nr_ API key in it.", ref.Key, src.namespace, ref.Name)}
	}
	key, err := c.OperatorKey()
	if err != nil {
		return "", &failure{reason: secretsv1alpha1.ReasonUnauthorized, retryAfter: jitter(slowRetry),
			message: fmt.Sprintf("Could not read the operator's API key: %v. %s", err, src.hint())}
	}
	if key == "" {
		return "", &failure{reason: secretsv1alpha1.ReasonUnauthorized, retryAfter: jitter(slowRetry),
			message: "No Nairi API key: the operator has none (NAIRI_API_KEY or --nairi-api-key-file) and " +
				"spec.apiKeySecretRef is not set. Provide one of them; retrying every 5 minutes."}
	}
	return key, nil
}

func keyHint(obj *secretsv1alpha1.NairiSecret) string {
	g, _ := resolveGrant(obj, nil, nil, false, "")
	return g.key.hint()
}

// hint says which key to fix, and when the operator retries.
func (src keySource) hint() string {
	if src.ref != nil {
		return fmt.Sprintf("Fix the key in Secret %s/%s; the operator retries as soon as it changes.",
			src.namespace, src.ref.Name)
	}
	return "Fix the operator's key (NAIRI_API_KEY or --nairi-api-key-file); retrying every 5 minutes."
}
