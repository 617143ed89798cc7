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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// VaultClient is what the reconciler needs of the Nairi API: one method per endpoint.
type VaultClient interface {
	CreateSecret(ctx context.Context, vaultID string, req nairi.CreateSecretRequest) (*nairi.Secret, error)
	ListSecrets(ctx context.Context, vaultID string) ([]nairi.Secret, error)
	UpdateSecret(ctx context.Context, vaultID, secretID string, req nairi.UpdateSecretRequest) (*nairi.Secret, error)
	DeleteSecret(ctx context.Context, vaultID, secretID string) error
}

var _ VaultClient = (*nairi.Client)(nil)

// NairiSecretReconciler keeps the vault secret of each NairiSecret in step with its
// source Secret (DESIGN.md §4).
type NairiSecretReconciler struct {
	client.Client
	// APIReader reads Secrets without a cache, so the manager never holds Secret data
	// for the whole cluster in memory.
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	// Credentials resolves the API key of an object and hands out one client per key.
	Credentials *Credentials
	// Digests computes the keyed digest of what was pushed.
	Digests *Digester
	// Lists shares one vault List among the drift checks of a vault for a few seconds.
	Lists *ListCache
	// Metrics counts objects by Ready reason; nil disables it.
	Metrics *ObjectMetrics
	// MaxConcurrentReconciles is how many objects are reconciled at once (default 1).
	MaxConcurrentReconciles int
	// SecretMetadata reads Secrets' metadata from the watch cache (the manager's cache), to
	// tell without a request whether a synced object's Secrets changed; nil reads nothing.
	SecretMetadata client.Reader
	// RequireVaultGrant: a NairiSecret without its own API key needs a NairiVault allowing
	// its namespace (--require-vault-grant, DESIGN.md §2.2).
	RequireVaultGrant bool
	// OperatorNamespace holds the API-key Secrets NairiVaults name.
	OperatorNamespace string
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	// checks keeps when each object's next drift check is due, in this process only.
	checks     *checkSchedule
	checksOnce sync.Once

	// written remembers, per object, the status this process last wrote, so that a
	// reconcile working from a cache that has not yet seen that write re-reads the
	// object instead of pushing again.
	written sync.Map // types.NamespacedName -> statusMark
	// lastKeys remembers, per object, the client of the API key this process last used
	// for it, so its vault secret can still be deleted once that key's Secret is gone
	// (deleted with the namespace) or its NairiVault withdrawn.
	lastKeys sync.Map // types.NamespacedName -> usedKey
}

// usedKey is the client an object last used; uid tells objects of the same name apart.
type usedKey struct {
	uid types.UID
	api vaultAPI
}

// statusPatchTimeout bounds the deferred status patch, which runs even when the reconcile's
// context was cancelled (shutdown): losing the record of a POST costs an adoption later.
const statusPatchTimeout = 10 * time.Second

// cacheSecretsInFull is true only in builds with the fullsecretcache tag, which exist to
// measure what the metadata-only Secret watch saves (make bench); never in a release.
var cacheSecretsInFull = false

// statusMark is the part of a written status that decides which API call comes next.
type statusMark struct {
	uid                             types.UID
	secretID, digest, remoteUpdated string
	// reason is the Ready reason: AlreadyExists is a verdict the next create must see.
	reason string
}

func markOf(obj *secretsv1alpha1.NairiSecret) statusMark {
	m := statusMark{uid: obj.UID, secretID: obj.Status.SecretID, digest: obj.Status.SyncedDigest,
		remoteUpdated: obj.Status.RemoteUpdatedAt}
	if c := meta.FindStatusCondition(obj.Status.Conditions, secretsv1alpha1.ConditionReady); c != nil {
		m.reason = c.Reason
	}
	return m
}

// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecrets,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecrets/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairisecrets/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=secrets.nairi.ai,resources=nairivaults,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the sync algorithm of DESIGN.md §4 for one NairiSecret. The status is
// written once, by the deferred patch, whatever the outcome.
func (r *NairiSecretReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, err error) {
	obj, err := r.fetch(ctx, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if obj == nil {
		r.Metrics.Forget(req.NamespacedName)
		r.written.Delete(req.NamespacedName)
		r.schedule().forget(req.NamespacedName)
		r.lastKeys.Delete(req.NamespacedName)
		return ctrl.Result{}, nil
	}
	base := obj.DeepCopy()
	defer func() {
		if perr := r.patchStatus(ctx, base, obj); perr != nil && err == nil {
			err = perr
		}
	}()

	if !obj.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, obj)
	}
	if err := r.reconcileFinalizer(ctx, obj); err != nil {
		return ctrl.Result{}, err
	}
	obj.Status.ObservedGeneration = obj.Generation
	if obj.Spec.Suspend {
		return r.fail(ctx, obj, suspended())
	}
	g, f := r.grantFor(ctx, obj)
	if f != nil {
		return r.fail(ctx, obj, f)
	}
	if f := r.checkConflict(ctx, obj); f != nil {
		return r.fail(ctx, obj, f)
	}
	if f := checkDomains(obj); f != nil {
		return r.fail(ctx, obj, f)
	}
	versions := r.inputVersions(ctx, obj)
	if unchanged(obj, versions) {
		if done, f := r.checkUnchanged(ctx, obj); f != nil {
			return r.fail(ctx, obj, f)
		} else if done {
			return r.synced(obj), nil
		}
	}
	value, f := r.readSource(ctx, obj)
	if f != nil {
		return r.fail(ctx, obj, f)
	}
	api, f := r.Credentials.ClientForGrant(ctx, g)
	if f != nil {
		return r.fail(ctx, obj, f)
	}
	r.lastKeys.Store(req.NamespacedName, usedKey{uid: obj.UID, api: api})
	digest, err := r.Digests.Digest(ctx, obj, value)
	if err != nil {
		return r.fail(ctx, obj, &failure{reason: secretsv1alpha1.ReasonAPIUnavailable, err: err,
			message: fmt.Sprintf("The operator cannot load its digest key: %v. Check that it may read and "+
				"create Secrets in its own namespace; retrying with backoff.", err)})
	}
	if f := r.sync(ctx, obj, api, value, digest); f != nil {
		return r.fail(ctx, obj, g.explain(obj, f))
	}
	obj.Status.SyncedFrom = &versions
	return r.synced(obj), nil
}

// fetch returns the object, or nil when it is gone. When this process wrote a status
// that the cache does not show yet, it reads the object from the API server instead,
// so a stale cache never causes a second POST.
func (r *NairiSecretReconciler) fetch(ctx context.Context, key types.NamespacedName) (*secretsv1alpha1.NairiSecret, error) {
	obj := &secretsv1alpha1.NairiSecret{}
	if err := r.Get(ctx, key, obj); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	mark, ok := r.written.Load(key)
	// A mark of another object by the same name (deleted and created again) says nothing.
	if !ok || mark == markOf(obj) || mark.(statusMark).uid != obj.UID {
		return obj, nil
	}
	if err := r.APIReader.Get(ctx, key, obj); err != nil {
		return nil, client.IgnoreNotFound(err)
	}
	return obj, nil
}

// patchStatus writes the status if it changed, as a merge patch of the status alone.
// syncedFrom alone changing is not worth a write (a label change on a Secret must cost
// nothing): it rides along with the next write, or is written once when it was missing
// or incomplete (the cache had not seen the Secret yet). The write does not inherit the
// reconcile's cancellation (DESIGN.md §6): when a shutdown cancels a reconcile that has
// just created a vault secret (the leader's Pod deleted in the middle of a sync), the
// record of that POST still reaches the API server, and the next leader does not POST
// again.
func (r *NairiSecretReconciler) patchStatus(ctx context.Context, base, obj *secretsv1alpha1.NairiSecret) error {
	r.Metrics.Observe(obj)
	if equality.Semantic.DeepEqual(base.Status, obj.Status) {
		return nil
	}
	if rest, baseRest := obj.Status, base.Status; base.Status.SyncedFrom != nil &&
		base.Status.SyncedFrom.SecretResourceVersion != "" {
		rest.SyncedFrom, baseRest.SyncedFrom = nil, nil
		if equality.Semantic.DeepEqual(baseRest, rest) {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusPatchTimeout)
	defer cancel()
	if err := r.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted meanwhile: nothing left to report on
		}
		return fmt.Errorf("patch status: %w", err)
	}
	r.written.Store(client.ObjectKeyFromObject(obj), markOf(obj))
	return nil
}

// reconcileFinalizer keeps the finalizer when the vault secret must be deleted with the
// object. It is first added with the create-intent mark, in the patch that precedes the
// first POST (markIntent), so no vault secret is ever created without it; here it is
// added back when the policy switches to Delete after a write, and removed for Retain.
func (r *NairiSecretReconciler) reconcileFinalizer(ctx context.Context, obj *secretsv1alpha1.NairiSecret) error {
	_, marked := createIntent(obj)
	want := obj.Spec.DeletionPolicy != secretsv1alpha1.DeletionPolicyRetain
	has := controllerutil.ContainsFinalizer(obj, secretsv1alpha1.Finalizer)
	if want == has || (want && obj.Status.SecretID == "" && !marked) {
		return nil
	}
	before := obj.DeepCopy()
	if want {
		controllerutil.AddFinalizer(obj, secretsv1alpha1.Finalizer)
	} else {
		controllerutil.RemoveFinalizer(obj, secretsv1alpha1.Finalizer)
	}
	// The finalizer list is replaced whole by a merge patch: the lock keeps a finalizer
	// another controller added meanwhile.
	if err := r.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("update finalizer: %w", err)
	}
	return nil
}

// SetupWithManager registers the field indexes and watches: NairiSecrets on spec and
// deletion changes only (not their own status writes), Secrets as metadata only.
func (r *NairiSecretReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := registerIndexes(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	r.schedule()
	concurrency := max(r.MaxConcurrentReconciles, 1)
	b := ctrl.NewControllerManagedBy(mgr)
	if cacheSecretsInFull {
		r.APIReader = mgr.GetClient()
		r.Credentials.Reader = mgr.GetClient()
		b = b.Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretUsers))
	} else {
		b = b.WatchesMetadata(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.secretUsers))
	}
	return b.
		For(&secretsv1alpha1.NairiSecret{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, userAnnotationChanged()))).
		Watches(&secretsv1alpha1.NairiSecret{}, handler.EnqueueRequestsFromMapFunc(r.conflictPeers),
			builder.WithPredicates(onCreateOrDelete())).
		// Grants (DESIGN.md §2.2): a NairiVault created, changed or deleted re-evaluates the
		// NairiSecrets of its vault; a namespace relabelled, those of the namespace. Status
		// writes of NairiVaults and other namespace changes wake nothing.
		Watches(&secretsv1alpha1.NairiVault{}, handler.EnqueueRequestsFromMapFunc(r.vaultUsers),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(r.namespaceUsers),
			builder.WithPredicates(labelsChangedOnly())).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: concurrency,
			RateLimiter:             newBackoff(time.Second, 5*time.Minute),
		}).
		Named("nairisecret").
		Complete(r)
}

// Options configure the controller as the manager's flags do.
type Options struct {
	// APIURL is the Nairi API's base URL.
	APIURL string
	// OperatorKey returns the operator's own API key ("" for none).
	OperatorKey func() (string, error)
	// QPS and Burst are the client-side rate limit per API key.
	QPS   float64
	Burst int
	// Timeout bounds one API request.
	Timeout time.Duration
	// Version goes into the User-Agent.
	Version string
	// MaxConcurrentReconciles is how many objects are reconciled at once.
	MaxConcurrentReconciles int
	// OperatorNamespace holds the HMAC key Secret.
	OperatorNamespace string
	// ListCacheTTL is how long one vault List serves drift checks.
	ListCacheTTL time.Duration
	// AllowInsecureHTTP lets APIURL be plain http:// to a host that is not loopback.
	AllowInsecureHTTP bool
	// APIMetrics and ObjectMetrics, when set, are fed by the clients and the reconciler.
	APIMetrics    *nairi.Metrics
	ObjectMetrics *ObjectMetrics
	// RequireVaultGrant is --require-vault-grant: NairiSecrets on the operator's key need
	// a NairiVault allowing their namespace.
	RequireVaultGrant bool
}

// Setup builds the reconciler with its collaborators and registers it with mgr. The
// manager binary and the tests share it, so the tests run the real wiring.
func Setup(mgr ctrl.Manager, o Options) (*NairiSecretReconciler, error) {
	clientOpts := []nairi.Option{nairi.WithTimeout(o.Timeout), nairi.WithRateLimit(o.QPS, o.Burst),
		nairi.WithUserAgent(o.Version), nairi.WithInsecureHTTP(o.AllowInsecureHTTP)}
	if o.APIMetrics != nil {
		clientOpts = append(clientOpts, nairi.WithMetrics(o.APIMetrics))
	}
	r := &NairiSecretReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("nairi-secrets-operator"),
		Credentials: &Credentials{
			Reader:      mgr.GetAPIReader(),
			OperatorKey: o.OperatorKey,
			NewClient: func(key string) (VaultClient, error) {
				return nairi.New(o.APIURL, key, clientOpts...)
			},
		},
		SecretMetadata:          mgr.GetCache(),
		Digests:                 &Digester{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Namespace: o.OperatorNamespace},
		Lists:                   &ListCache{TTL: o.ListCacheTTL},
		Metrics:                 o.ObjectMetrics,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		RequireVaultGrant:       o.RequireVaultGrant,
		OperatorNamespace:       o.OperatorNamespace,
	}
	// The digest key is made at start (on the leader), so a missing permission shows in the
	// log at once; a failure here is retried by the reconciles that need the key.
	err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		if _, err := r.Digests.loadKey(ctx); err != nil {
			logf.FromContext(ctx).Error(err, "cannot load the digest key; reconciles will retry")
		}
		r.logStaleDigests(ctx)
		return nil
	}))
	if err != nil {
		return nil, fmt.Errorf("add digest key loader: %w", err)
	}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	vaults := &NairiVaultReconciler{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("nairi-secrets-operator"),
		Credentials: r.Credentials, OperatorNamespace: o.OperatorNamespace, Metrics: r.Metrics}
	if err := vaults.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the NairiVault controller: %w", err)
	}
	// NairiSecretSets (DESIGN.md §2.3) manage NairiSecrets, which the reconciler above syncs.
	sets := &NairiSecretSetReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(),
		Recorder: mgr.GetEventRecorder("nairi-secrets-operator"), Metrics: r.Metrics}
	if err := sets.SetupWithManager(mgr); err != nil {
		return nil, fmt.Errorf("set up the NairiSecretSet controller: %w", err)
	}
	return r, nil
}
