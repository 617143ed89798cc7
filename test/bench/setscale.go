//go:build bench

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

package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
)

// SetScaleResult is the NairiSecretSet row: one set over a Secret of many keys, then a
// change of one key. The design promises one POST per key and one PATCH per change.
type SetScaleResult struct {
	Keys           int      `json:"keys"`
	LatencyMs      int64    `json:"simulatorLatencyMs"`
	SecondsToReady float64  `json:"secondsToSetReady"`
	Calls          apiCalls `json:"apiCallsToReady"`
	OnlyNPosts     bool     `json:"callsEqualNPosts"`
	ChangeMs       float64  `json:"changeToPatchMs"`
	ChangeCalls    apiCalls `json:"apiCallsForOneChange"`
	OnePatch       bool     `json:"oneChangeIsOnePatch"`
	Error          string   `json:"error,omitempty"`
}

// runSetScale creates a Secret of n keys and one NairiSecretSet over it, waits until the
// set reports every key Ready, then changes one key and counts the calls it costs.
func (b *bench) runSetScale(ctx context.Context, cl *cluster, n int) SetScaleResult {
	res := SetScaleResult{Keys: n, LatencyMs: b.latency.Milliseconds()}
	ns := fmt.Sprintf("set-%d", n)
	fail := func(err error) SetScaleResult {
		res.Error = err.Error()
		log.Printf("  set-%d: %v", n, err)
		return res
	}
	log.Printf("set scale: one NairiSecretSet over a Secret of %d keys", n)
	if err := cl.namespace(ctx, ns); err != nil {
		return fail(err)
	}
	s, err := startSim(simOptions{vaults: 1, latency: b.latency})
	if err != nil {
		return fail(err)
	}
	defer s.close()
	// The current build with its default flags, as users run it.
	mgr, err := cl.startManager(ctx, b.managerOptions(syncSpec{build: buildCurrent}, "manager-"+ns, s.URL, ns))
	if err != nil {
		return fail(err)
	}
	defer mgr.stop()

	data := make(map[string][]byte, n)
	for i := range n {
		data[fmt.Sprintf("KEY_%03d", i)] = []byte("value-" + randHex(8))
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}, Data: data}
	if err := cl.c.Create(ctx, secret); err != nil {
		return fail(err)
	}
	set := &secretsv1alpha1.NairiSecretSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"},
		Spec: secretsv1alpha1.NairiSecretSetSpec{VaultID: s.Vaults[0],
			SecretRef: secretsv1alpha1.SecretNameReference{Name: "env"}},
	}
	s.reset()
	start := time.Now()
	if err := cl.c.Create(ctx, set); err != nil {
		return fail(err)
	}
	if err := waitSetReady(ctx, cl, set, int32(n), 10*time.Minute); err != nil {
		return fail(err)
	}
	res.SecondsToReady = round(time.Since(start).Seconds(), 2)
	time.Sleep(500 * time.Millisecond) // a stray call right after Ready still counts
	res.Calls = s.calls()
	res.OnlyNPosts = res.Calls.POST == n && res.Calls.Total == n

	s.reset()
	patch := fmt.Appendf(nil, `{"data":{"KEY_007":%q}}`, base64.StdEncoding.EncodeToString([]byte("rotated-"+randHex(8))))
	t0 := time.Now()
	if err := cl.c.Patch(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "env"}},
		client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fail(err)
	}
	for s.calls().PATCH == 0 {
		if time.Since(t0) > time.Minute {
			return fail(fmt.Errorf("no PATCH within a minute of changing one key"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	res.ChangeMs = round(float64(time.Since(t0).Microseconds())/1000, 1)
	time.Sleep(3 * time.Second) // long enough for any other child to call, were it to
	res.ChangeCalls = s.calls()
	res.OnePatch = res.ChangeCalls.PATCH == 1 && res.ChangeCalls.Total == 1
	log.Printf("  Ready in %.2fs with %d calls (POST %d); one key changed: %d calls (PATCH %d) in %.1f ms",
		res.SecondsToReady, res.Calls.Total, res.Calls.POST, res.ChangeCalls.Total, res.ChangeCalls.PATCH, res.ChangeMs)
	return res
}

// waitSetReady polls the set until it is Ready for its generation with want ready keys.
func waitSetReady(ctx context.Context, cl *cluster, set *secretsv1alpha1.NairiSecretSet, want int32,
	timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	got := &secretsv1alpha1.NairiSecretSet{}
	for time.Now().Before(deadline) {
		if err := cl.c.Get(ctx, client.ObjectKeyFromObject(set), got); err == nil &&
			got.Status.ObservedGeneration == got.Generation && got.Status.ReadyKeys == want &&
			meta.IsStatusConditionTrue(got.Status.Conditions, secretsv1alpha1.ConditionReady) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the set has %d of %d keys Ready after %s", got.Status.ReadyKeys, want, timeout)
}

// setScaleVerdict is the target row of the set scenario.
func setScaleVerdict(res *Results) TargetVerdict {
	s := res.SetScale
	t := TargetVerdict{Target: "a NairiSecretSet of 200 keys costs 200 POSTs; a change of one key costs one PATCH",
		Verdict: notRun}
	if s.Keys == 0 {
		return t
	}
	t.Measured = fmt.Sprintf("%d keys: %d calls (%d POSTs) to Ready in %.1f s; one change: %d calls (%d PATCH)",
		s.Keys, s.Calls.Total, s.Calls.POST, s.SecondsToReady, s.ChangeCalls.Total, s.ChangeCalls.PATCH)
	t.Verdict = verdict(s.Error == "" && s.OnlyNPosts && s.OnePatch)
	if s.Keys != 200 {
		t.Measured += " (quick mode)"
	}
	return t
}

// setScaleSection is the report's section on the set scenario.
func setScaleSection(res *Results) string {
	s := res.SetScale
	if s.Keys == 0 {
		return "## 9. A NairiSecretSet at scale\n\nNot run.\n\n"
	}
	out := "## 9. A NairiSecretSet at scale\n\n" +
		"One Secret of N keys and one NairiSecretSet over it (its own namespace, simulator and manager, " +
		fmt.Sprintf("%d ms simulator latency, default flags); the clock runs from the set's create to the set ",
			s.LatencyMs) +
		"reporting every key Ready. Then one key of the Secret changes, and every call in the next 3 s counts.\n\n" +
		row("keys", "set Ready (s)", "API calls to Ready", "= N POSTs", "one key changed: calls", "= 1 PATCH",
			"change → PATCH (ms)") +
		"|---:|---:|---|---|---|---|---:|\n" +
		fmt.Sprintf("| %d | %.2f | %d (POST %d, PATCH %d, List %d) | %s | %d (PATCH %d) | %s | %.1f |\n",
			s.Keys, s.SecondsToReady, s.Calls.Total, s.Calls.POST, s.Calls.PATCH, s.Calls.List, yesNo(s.OnlyNPosts),
			s.ChangeCalls.Total, s.ChangeCalls.PATCH, yesNo(s.OnePatch), s.ChangeMs)
	if s.Error != "" {
		out += fmt.Sprintf("\nError: `%s`\n", s.Error)
	}
	return out + "\n"
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
