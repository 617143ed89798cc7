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

package soak

import (
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// The shape of the world the history plays in: small pools, so that claims collide,
// names are reused and Secrets are shared.
const (
	objectNames   = 14 // obj-00 … per namespace
	sourceNames   = 4  // src-0 … per namespace
	sourceKeys    = 4  // k0 … per Secret
	envKeysPool   = 8  // SOAK_K00 … per vault
	seedsPerVault = 2  // SEEDED_0 … per vault, made by a "human" before the run
	refresh       = 15 * time.Second
)

var domainSets = [][]secretsv1alpha1.DomainPattern{
	nil,
	{"*.example.com"},
	{"api.example.com", "*.shop.example.com"},
	{"agents.example.org"},
}

// liveObject is the driver's record of a NairiSecret it created and has not deleted.
type liveObject struct {
	ns, name   string
	uid        string
	key        vk
	everRetain bool
}

func (o *liveObject) id() string { return o.ns + "/" + o.name }

// actor performs user and remote actions on a seeded schedule.
type actor struct {
	s   *soak
	rng *rand.Rand
	// objects are the live NairiSecrets by "ns/name"; sources the Secrets that exist.
	objects map[string]*liveObject
	sources map[string]bool
	counts  map[string]int
	failed  int
}

func (a *actor) pick(n int) int { return a.rng.IntN(n) }

// value returns a fresh value: 24 lower-case hex digits, each one a canary.
func (a *actor) value() string {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte(a.rng.IntN(256))
	}
	v := hex.EncodeToString(b)
	a.s.canaries.add(v)
	return v
}

func (a *actor) ns() string { return a.s.namespaces[a.pick(len(a.s.namespaces))] }

func (a *actor) sortedObjects() []*liveObject {
	keys := slices.Sorted(maps.Keys(a.objects))
	out := make([]*liveObject, len(keys))
	for i, k := range keys {
		out[i] = a.objects[k]
	}
	return out
}

func (a *actor) randomObject() *liveObject {
	objs := a.sortedObjects()
	if len(objs) == 0 {
		return nil
	}
	return objs[a.pick(len(objs))]
}

// step performs one random action.
func (a *actor) step(ctx context.Context) {
	type action struct {
		name   string
		weight int
		do     func(context.Context) (bool, error)
	}
	actions := []action{
		{"create NairiSecret", 10, a.createObject},
		{"delete NairiSecret", 7, a.deleteObject},
		{"duplicate claim", 4, a.duplicateClaim},
		{"rotate value", 12, a.rotate},
		{"delete Secret", 1, a.deleteSource},
		{"recreate Secret", 3, a.recreateSource},
		{"add key", 3, a.addKey},
		{"remove key", 1, a.removeKey},
		{"suspend/resume", 3, a.toggleSuspend},
		{"change domains", 3, a.changeDomains},
		{"change deletionPolicy", 2, a.flipPolicy},
		{"remote delete", 3, a.remoteDelete},
		{"remote change", 3, a.remoteChange},
	}
	if a.s.model.v2 {
		actions = append(actions, action{"change NairiVault namespaces", 3, a.changeGrant},
			action{"change NairiVault adoption", 1, a.toggleAdoption})
	}
	total := 0
	for _, act := range actions {
		total += act.weight
	}
	n := a.pick(total)
	for _, act := range actions {
		if n -= act.weight; n < 0 {
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			done, err := act.do(cctx)
			cancel()
			switch {
			case err != nil:
				a.failed++
				a.s.hist.add(kindUser, fmt.Sprintf("%s failed: %v", act.name, err))
			case done:
				a.counts[act.name]++
			}
			return
		}
	}
}

// seedSources creates every Secret of every namespace before the managers start.
func (a *actor) seedSources(ctx context.Context) error {
	for _, ns := range a.s.namespaces {
		for i := range sourceNames {
			if _, err := a.createSource(ctx, ns, fmt.Sprintf("src-%d", i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *actor) createSource(ctx context.Context, ns, name string) (bool, error) {
	data := map[string][]byte{}
	for k := range sourceKeys {
		if k == 0 || a.pick(8) > 0 {
			key := fmt.Sprintf("k%d", k)
			v := a.value()
			a.s.model.wrote(ref{ns, name, key}, v)
			data[key] = []byte(v)
		}
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
	if err := a.s.c.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
		return false, err
	}
	a.sources[ns+"/"+name] = true
	a.s.hist.add(kindUser, fmt.Sprintf("create Secret %s/%s with keys %v", ns, name, slices.Sorted(maps.Keys(data))),
		"sec:"+ns+"/"+name)
	return true, nil
}

// newObject creates a NairiSecret in ns claiming key.
func (a *actor) newObject(ctx context.Context, ns string, key vk) (bool, error) {
	var name string
	for range 5 {
		candidate := fmt.Sprintf("obj-%02d", a.pick(objectNames))
		if a.objects[ns+"/"+candidate] == nil {
			name = candidate
			break
		}
	}
	if name == "" {
		return false, nil
	}
	r := ref{ns, fmt.Sprintf("src-%d", a.pick(sourceNames)), fmt.Sprintf("k%d", a.pick(sourceKeys))}
	// Mostly a Secret that exists, so that most objects can sync and the end state is
	// checked exactly; sometimes one that does not (SecretNotFound, until it is created).
	var here []string
	for _, id := range slices.Sorted(maps.Keys(a.sources)) {
		if secNS, name, _ := strings.Cut(id, "/"); secNS == ns {
			here = append(here, name)
		}
	}
	if len(here) > 0 && a.pick(8) > 0 {
		r.Secret = here[a.pick(len(here))]
	}
	obj := &secretsv1alpha1.NairiSecret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: secretsv1alpha1.NairiSecretSpec{
			VaultID: key.Vault, EnvKey: key.EnvKey,
			SecretRef:       secretsv1alpha1.SourceSecretRef{Name: r.Secret, Key: r.Key},
			AllowedDomains:  domainSets[a.pick(len(domainSets))],
			RefreshInterval: &metav1.Duration{Duration: refresh},
			Suspend:         a.pick(20) == 0,
		},
	}
	if a.pick(4) == 0 {
		obj.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
	}
	id := ns + "/" + name
	a.s.model.claimed(key, id, r)
	err := a.s.c.Create(ctx, obj)
	if apierrors.IsAlreadyExists(err) {
		return false, nil // still being deleted
	}
	if err != nil {
		// The create may have committed before the answer was lost.
		if gerr := a.s.c.Get(ctx, client.ObjectKeyFromObject(obj), obj); gerr != nil || obj.Spec.EnvKey != key.EnvKey {
			return false, err
		}
	}
	a.s.model.recreated(id)
	a.objects[id] = &liveObject{ns: ns, name: name, uid: string(obj.UID), key: key,
		everRetain: obj.Spec.DeletionPolicy == secretsv1alpha1.DeletionPolicyRetain}
	a.s.hist.add(kindUser, fmt.Sprintf("create NairiSecret %s (%s, %s/%s, policy %s, suspend %t, domains %v)",
		id, a.s.vkTag(key), r.Secret, r.Key, policyOf(obj), obj.Spec.Suspend, obj.Spec.AllowedDomains),
		"obj:"+id, a.s.vkTag(key), "sec:"+ns+"/"+r.Secret)
	return true, nil
}

func policyOf(obj *secretsv1alpha1.NairiSecret) secretsv1alpha1.DeletionPolicy {
	if obj.Spec.DeletionPolicy == "" {
		return secretsv1alpha1.DeletionPolicyDelete
	}
	return obj.Spec.DeletionPolicy
}

func (a *actor) createObject(ctx context.Context) (bool, error) {
	vault := a.s.vaults[a.pick(len(a.s.vaults))]
	envKey := fmt.Sprintf("SOAK_K%02d", a.pick(envKeysPool))
	if a.pick(10) == 0 {
		envKey = fmt.Sprintf("SEEDED_%d", a.pick(seedsPerVault))
	}
	return a.newObject(ctx, a.ns(), vk{vault, envKey})
}

// duplicateClaim claims the key of a live object again, from another namespace.
func (a *actor) duplicateClaim(ctx context.Context) (bool, error) {
	o := a.randomObject()
	if o == nil {
		return false, nil
	}
	others := slices.DeleteFunc(slices.Clone(a.s.namespaces), func(ns string) bool { return ns == o.ns })
	return a.newObject(ctx, others[a.pick(len(others))], o.key)
}

func (a *actor) deleteObject(ctx context.Context) (bool, error) {
	o := a.randomObject()
	if o == nil {
		return false, nil
	}
	obj := &secretsv1alpha1.NairiSecret{}
	key := client.ObjectKey{Namespace: o.ns, Name: o.name}
	if err := a.s.c.Get(ctx, key, obj); err == nil {
		o.everRetain = o.everRetain || obj.Spec.DeletionPolicy == secretsv1alpha1.DeletionPolicyRetain
	} else if !apierrors.IsNotFound(err) {
		return false, err
	}
	others := 0
	for _, p := range a.objects {
		if p != o && p.key == o.key {
			others++
		}
	}
	// Recorded first: a delete whose answer is lost may still have happened.
	a.s.model.released(o.key, o.id(), o.uid, o.everRetain, others)
	err := a.s.c.Delete(ctx, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		if gerr := a.s.c.Get(ctx, key, obj); gerr == nil && obj.DeletionTimestamp.IsZero() {
			a.s.model.recreated(o.id()) // it did not happen
			return false, err
		}
	}
	delete(a.objects, o.id())
	a.s.hist.add(kindUser, fmt.Sprintf("delete NairiSecret %s (%s, retain ever %t, %d other claims)", o.id(),
		a.s.vkTag(o.key), o.everRetain, others), "obj:"+o.id(), a.s.vkTag(o.key))
	return true, nil
}

// updateSource applies change to a Secret, retrying write conflicts.
func (a *actor) updateSource(ctx context.Context, ns, name string, change func(*corev1.Secret) bool) (bool, error) {
	for {
		sec := &corev1.Secret{}
		if err := a.s.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, sec); err != nil {
			if apierrors.IsNotFound(err) {
				delete(a.sources, ns+"/"+name)
				return false, nil
			}
			return false, err
		}
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		if !change(sec) {
			return false, nil
		}
		err := a.s.c.Update(ctx, sec)
		if apierrors.IsConflict(err) {
			continue
		}
		return err == nil, err
	}
}

func (a *actor) randomSource() (string, string, bool) {
	names := slices.Sorted(maps.Keys(a.sources))
	if len(names) == 0 {
		return "", "", false
	}
	ns, name, _ := strings.Cut(names[a.pick(len(names))], "/")
	return ns, name, true
}

func (a *actor) rotate(ctx context.Context) (bool, error) {
	ns, name, ok := a.randomSource()
	if !ok {
		return false, nil
	}
	key := fmt.Sprintf("k%d", a.pick(sourceKeys))
	v := a.value()
	if a.pick(50) == 0 {
		v = "" // the API refuses it: EmptyValue
	}
	a.s.model.wrote(ref{ns, name, key}, v)
	done, err := a.updateSource(ctx, ns, name, func(sec *corev1.Secret) bool {
		sec.Data[key] = []byte(v)
		return true
	})
	if done {
		a.s.hist.add(kindUser, fmt.Sprintf("rotate %s/%s key %s (empty %t)", ns, name, key, v == ""), "sec:"+ns+"/"+name)
	}
	return done, err
}

func (a *actor) addKey(ctx context.Context) (bool, error) { return a.rotate(ctx) }

func (a *actor) removeKey(ctx context.Context) (bool, error) {
	ns, name, ok := a.randomSource()
	if !ok {
		return false, nil
	}
	var removed string
	done, err := a.updateSource(ctx, ns, name, func(sec *corev1.Secret) bool {
		keys := slices.Sorted(maps.Keys(sec.Data))
		if len(keys) == 0 {
			return false
		}
		removed = keys[a.pick(len(keys))]
		delete(sec.Data, removed)
		return true
	})
	if done {
		a.s.hist.add(kindUser, fmt.Sprintf("remove key %s from %s/%s", removed, ns, name), "sec:"+ns+"/"+name)
	}
	return done, err
}

func (a *actor) deleteSource(ctx context.Context) (bool, error) {
	ns, name, ok := a.randomSource()
	if !ok {
		return false, nil
	}
	err := a.s.c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})
	if err != nil && !apierrors.IsNotFound(err) {
		return false, err
	}
	delete(a.sources, ns+"/"+name)
	a.s.hist.add(kindUser, fmt.Sprintf("delete Secret %s/%s", ns, name), "sec:"+ns+"/"+name)
	return true, nil
}

func (a *actor) recreateSource(ctx context.Context) (bool, error) {
	ns := a.ns()
	name := fmt.Sprintf("src-%d", a.pick(sourceNames))
	if a.sources[ns+"/"+name] {
		return false, nil
	}
	return a.createSource(ctx, ns, name)
}

// patchObject applies change to a live NairiSecret's spec with a merge patch.
func (a *actor) patchObject(ctx context.Context, o *liveObject,
	change func(*secretsv1alpha1.NairiSecret) string) (bool, error) {
	obj := &secretsv1alpha1.NairiSecret{}
	if err := a.s.c.Get(ctx, client.ObjectKey{Namespace: o.ns, Name: o.name}, obj); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	before := obj.DeepCopy()
	what := change(obj)
	if err := a.s.c.Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	a.s.hist.add(kindUser, fmt.Sprintf("%s: %s", o.id(), what), "obj:"+o.id(), a.s.vkTag(o.key))
	return true, nil
}

func (a *actor) toggleSuspend(ctx context.Context) (bool, error) {
	o := a.randomObject()
	if o == nil {
		return false, nil
	}
	return a.patchObject(ctx, o, func(obj *secretsv1alpha1.NairiSecret) string {
		obj.Spec.Suspend = !obj.Spec.Suspend
		return fmt.Sprintf("suspend %t", obj.Spec.Suspend)
	})
}

func (a *actor) changeDomains(ctx context.Context) (bool, error) {
	o := a.randomObject()
	if o == nil {
		return false, nil
	}
	return a.patchObject(ctx, o, func(obj *secretsv1alpha1.NairiSecret) string {
		obj.Spec.AllowedDomains = domainSets[a.pick(len(domainSets))]
		return fmt.Sprintf("allowedDomains %v", obj.Spec.AllowedDomains)
	})
}

func (a *actor) flipPolicy(ctx context.Context) (bool, error) {
	o := a.randomObject()
	if o == nil {
		return false, nil
	}
	// Recorded before the patch: a lost answer may hide a Retain that happened.
	o.everRetain = true
	return a.patchObject(ctx, o, func(obj *secretsv1alpha1.NairiSecret) string {
		if policyOf(obj) == secretsv1alpha1.DeletionPolicyRetain {
			obj.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyDelete
		} else {
			obj.Spec.DeletionPolicy = secretsv1alpha1.DeletionPolicyRetain
		}
		return "deletionPolicy " + string(obj.Spec.DeletionPolicy)
	})
}

// remoteTarget picks a vault secret that is not a human-made seed.
func (a *actor) remoteTarget() (string, string, string, bool) {
	type target struct{ vault, id, envKey string }
	var all []target
	for _, v := range a.s.vaults {
		for _, sec := range a.s.sim.Secrets(v) {
			if !a.s.isSeed(sec.ID) {
				all = append(all, target{v, sec.ID, sec.EnvKey})
			}
		}
	}
	slices.SortFunc(all, func(x, y target) int { return strings.Compare(x.id, y.id) })
	if len(all) == 0 {
		return "", "", "", false
	}
	t := all[a.pick(len(all))]
	return t.vault, t.id, t.envKey, true
}

func (a *actor) remoteDelete(context.Context) (bool, error) {
	vault, id, envKey, ok := a.remoteTarget()
	if !ok {
		return false, nil
	}
	a.s.sim.DeleteOutOfBand(vault, id)
	k := vk{vault, envKey}
	a.s.hist.add(kindRemote, fmt.Sprintf("delete %s (%s) behind the operator's back", id, a.s.vkTag(k)), a.s.vkTag(k))
	return true, nil
}

func (a *actor) remoteChange(context.Context) (done bool, err error) {
	vault, id, envKey, ok := a.remoteTarget()
	if !ok {
		return false, nil
	}
	defer func() {
		if recover() != nil { // the operator deleted it in the meantime
			done, err = false, nil
		}
	}()
	k := vk{vault, envKey}
	if a.pick(2) == 0 {
		v := a.value()
		a.s.model.remoteChange(k, v)
		a.s.sim.ChangeOutOfBand(vault, id, &v, nil)
		a.s.hist.add(kindRemote, fmt.Sprintf("change the value of %s (%s) behind the operator's back", id, a.s.vkTag(k)),
			a.s.vkTag(k))
	} else {
		a.s.sim.ChangeOutOfBand(vault, id, nil, []string{"*.elsewhere.example.net"})
		a.s.hist.add(kindRemote, fmt.Sprintf("change the domains of %s (%s) behind the operator's back", id,
			a.s.vkTag(k)), a.s.vkTag(k))
	}
	return true, nil
}
