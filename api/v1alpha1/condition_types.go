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

package v1alpha1

// Finalizer keeps a NairiSecret with deletionPolicy Delete until its vault secret is gone,
// and a NairiSecretSet until its children are gone.
const Finalizer = "secrets.nairi.ai/finalizer"

// Condition types. Both follow kstatus conventions, so Flux and Argo CD read them.
const (
	// ConditionReady is True when the vault holds the current value and domains.
	ConditionReady = "Ready"
	// ConditionStalled is True only while the object cannot progress without a human;
	// it is removed otherwise.
	ConditionStalled = "Stalled"
)

// Reasons of the Ready condition. Warning Events reuse the failure reasons.
const (
	// ReasonSynced: the vault holds the current value and allowed domains.
	ReasonSynced = "Synced"
	// ReasonSecretNotFound: the source Secret does not exist. Retried when it appears.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretKeyNotFound: the source Secret has no such key. Retried when it changes.
	ReasonSecretKeyNotFound = "SecretKeyNotFound"
	// ReasonEmptyValue: the value is empty, which the API refuses. Stalled.
	ReasonEmptyValue = "EmptyValue"
	// ReasonInvalidValue: the value is not valid UTF-8 text. Stalled.
	ReasonInvalidValue = "InvalidValue"
	// ReasonVaultNotFound: the API answered 404 "vault not found". Retried every few minutes.
	ReasonVaultNotFound = "VaultNotFound"
	// ReasonUnauthorized: no API key, or the API answered 401. Retried every few minutes,
	// and at once when the API-key Secret changes.
	ReasonUnauthorized = "Unauthorized"
	// ReasonConflict: an older NairiSecret already syncs the same vaultID and envKey. Stalled.
	ReasonConflict = "Conflict"
	// ReasonRejected: the API refused the request (any other 4xx). Stalled until the spec
	// or the source Secret changes.
	ReasonRejected = "Rejected"
	// ReasonRateLimited: the API answered 429. Retried after Retry-After.
	ReasonRateLimited = "RateLimited"
	// ReasonAPIUnavailable: 5xx, timeout or connection error. Retried with backoff.
	ReasonAPIUnavailable = "APIUnavailable"
	// ReasonSuspended: spec.suspend is true; no API calls are made.
	ReasonSuspended = "Suspended"
	// ReasonDeleting: the object is being deleted and the DELETE call is failing.
	ReasonDeleting = "Deleting"
)

// Reasons of Normal Events, one per kind of write to the vault.
const (
	// EventCreated: the vault secret was created (POST).
	EventCreated = "Created"
	// EventUpdated: the vault secret was rotated after a change in Kubernetes (PATCH).
	EventUpdated = "Updated"
	// EventAdopted: a vault secret with the same env key already existed and was taken over.
	EventAdopted = "Adopted"
	// EventRecreated: the vault secret had been deleted outside Kubernetes and was created again.
	EventRecreated = "Recreated"
	// EventRestored: the vault secret had been changed outside Kubernetes and was restored.
	EventRestored = "Restored"
	// EventDeleted: the vault secret was deleted with its NairiSecret.
	EventDeleted = "Deleted"
)

// CreateIntentAnnotation marks, with an RFC 3339 UTC time, that a NairiSecret was about to
// create its vault secret. It is written before the first POST, so a vault secret created
// no earlier than this time (minus a clock allowance) may be one this object created and
// whose answer was lost: only such a secret is adopted without adoption: Allow, and only
// such a secret is deleted when the object goes before it learned the secret's id.
const CreateIntentAnnotation = "secrets.nairi.ai/create-intent"

// Reasons added with NairiVault (DESIGN.md §2.2, §3).
const (
	// ReasonVaultNotAllowed: the NairiSecret has no apiKeySecretRef of its own and no
	// NairiVault lets its namespace use its vault. No call is made; Stalled until a
	// NairiVault or the namespace's labels change.
	ReasonVaultNotAllowed = "VaultNotAllowed"
	// ReasonAlreadyExists: the vault already has a secret with this env key that this
	// object did not create, and adoption is not allowed. No call is made; Stalled.
	ReasonAlreadyExists = "AlreadyExists"
	// ReasonVerified: Ready reason of a NairiVault whose vault was listed with its key.
	ReasonVerified = "Verified"
)

// EventOrphaned: Warning Event of a NairiSecret whose finalizer was released without
// deleting its vault secret, because its namespace is being deleted and no API key is
// left to authenticate the DELETE. The vault secret named in the Event stays in the vault.
const EventOrphaned = "Orphaned"

// Reasons added with value templates and NairiSecretSets (DESIGN.md v2 §2.3, §2.4).
const (
	// ReasonInvalidTemplate: spec.template does not parse or fails to render. Stalled
	// until the NairiSecret or its Secret changes.
	ReasonInvalidTemplate = "InvalidTemplate"
	// ReasonInvalidKey: keys of a NairiSecretSet's Secret map to env keys that are not
	// valid, are reserved, or collide; they get no child, the other keys proceed. Stalled.
	ReasonInvalidKey = "InvalidKey"
	// ReasonProgressing: a NairiSecretSet's child has not reported on its current spec yet.
	ReasonProgressing = "Progressing"
)
