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

package install_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	lua "github.com/yuin/gopher-lua"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	secretsv1alpha1 "github.com/nairi-secrets-operator/nairi-secrets-operator/api/v1alpha1"
	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// objectState builds a NairiSecret at generation 2 with the given observed generation
// and conditions, as the controller writes them.
func objectState(observed int64, conditions ...metav1.Condition) *unstructured.Unstructured {
	obj := &secretsv1alpha1.NairiSecret{
		TypeMeta:   metav1.TypeMeta{APIVersion: secretsv1alpha1.GroupVersion.String(), Kind: "NairiSecret"},
		ObjectMeta: metav1.ObjectMeta{Name: sampleName, Namespace: "shop", Generation: 2},
		Status:     secretsv1alpha1.NairiSecretStatus{ObservedGeneration: observed, Conditions: conditions},
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return &unstructured.Unstructured{Object: content}
}

func cond(condType string, s metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: condType, Status: s, Reason: reason, Message: reason + " (test)",
		ObservedGeneration: 2, LastTransitionTime: metav1.Now()}
}

// The states below are the rows of DESIGN.md §3 that GitOps tools must tell apart:
// Flux reads them through kstatus, Argo CD through docs/argocd-health.lua.
var _ = Describe("GitOps health of a NairiSecret", func() {
	var script string
	BeforeEach(func() {
		data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "docs", "argocd-health.lua"))
		Expect(err).NotTo(HaveOccurred())
		script = string(data)
	})

	DescribeTable("kstatus (Flux) and the Argo CD Lua check agree",
		func(obj *unstructured.Unstructured, wantKstatus status.Status, wantArgo string) {
			res, err := status.Compute(obj)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Status).To(Equal(wantKstatus), res.Message)

			argo, message := argoHealth(script, obj)
			Expect(argo).To(Equal(wantArgo), message)
			Expect(message).NotTo(BeEmpty())
		},
		Entry("synced: Ready=True Synced is Current / Healthy",
			objectState(2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced)),
			status.CurrentStatus, "Healthy"),
		Entry("transient failure: Ready=False APIUnavailable, not Stalled, is InProgress / Progressing",
			objectState(2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonAPIUnavailable)),
			status.InProgressStatus, "Progressing"),
		Entry("waiting for a vault: Ready=False VaultNotFound is InProgress / Progressing",
			objectState(2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonVaultNotFound)),
			status.InProgressStatus, "Progressing"),
		Entry("terminal: Stalled=True Conflict is Failed / Degraded",
			objectState(2,
				cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonConflict),
				cond(secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, secretsv1alpha1.ReasonConflict)),
			status.FailedStatus, "Degraded"),
		Entry("terminal: Stalled=True EmptyValue is Failed / Degraded",
			objectState(2,
				cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonEmptyValue),
				cond(secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, secretsv1alpha1.ReasonEmptyValue)),
			status.FailedStatus, "Degraded"),
		Entry("unobserved generation: observedGeneration < generation is InProgress / Progressing, even if Ready",
			objectState(1, cond(secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced)),
			status.InProgressStatus, "Progressing"),
		Entry("suspended: Ready=False Suspended is InProgress / Suspended",
			objectState(2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonSuspended)),
			status.InProgressStatus, "Suspended"),
		Entry("deleting: Terminating / Progressing", deleting(
			objectState(2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonDeleting))),
			status.TerminatingStatus, "Progressing"),
	)

	It("ships the same Lua in the argocd-cm patch as in docs/argocd-health.lua", func() {
		data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "docs", "argocd-cm-patch.yaml"))
		Expect(err).NotTo(HaveOccurred())
		var patch struct {
			Data map[string]string `json:"data"`
		}
		Expect(yaml.Unmarshal(data, &patch)).To(Succeed())
		Expect(patch.Data).To(HaveKeyWithValue("resource.customizations.health.secrets.nairi.ai_NairiSecret", script))
		Expect(patch.Data).To(HaveKeyWithValue("resource.customizations.health.secrets.nairi.ai_NairiSecretSet", script))
	})
})

// setState builds a NairiSecretSet at generation 2 as the set controller writes it.
func setState(observed int64, keys, readyKeys int32, conditions ...metav1.Condition) *unstructured.Unstructured {
	obj := &secretsv1alpha1.NairiSecretSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: secretsv1alpha1.GroupVersion.String(), Kind: "NairiSecretSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "app-env", Namespace: "shop", Generation: 2},
		Status: secretsv1alpha1.NairiSecretSetStatus{ObservedGeneration: observed, Keys: keys, ReadyKeys: readyKeys,
			Conditions: conditions},
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return &unstructured.Unstructured{Object: content}
}

// A set aggregates its children into the same two conditions, so the same rules hold.
var _ = Describe("GitOps health of a NairiSecretSet", func() {
	var script string
	BeforeEach(func() {
		data, err := os.ReadFile(filepath.Join(utils.ProjectDir(), "docs", "argocd-health.lua"))
		Expect(err).NotTo(HaveOccurred())
		script = string(data)
	})

	DescribeTable("kstatus (Flux) and the Argo CD Lua check agree",
		func(obj *unstructured.Unstructured, wantKstatus status.Status, wantArgo string) {
			res, err := status.Compute(obj)
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Status).To(Equal(wantKstatus), res.Message)

			argo, message := argoHealth(script, obj)
			Expect(argo).To(Equal(wantArgo), message)
			Expect(message).NotTo(BeEmpty())
		},
		Entry("every child Ready: Current / Healthy",
			setState(2, 5, 5, cond(secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced)),
			status.CurrentStatus, "Healthy"),
		Entry("children not reconciled yet: Ready=False Progressing is InProgress / Progressing",
			setState(2, 5, 2, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonProgressing)),
			status.InProgressStatus, "Progressing"),
		Entry("a child retrying: Ready=False APIUnavailable is InProgress / Progressing",
			setState(2, 5, 4, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonAPIUnavailable)),
			status.InProgressStatus, "Progressing"),
		Entry("the Secret missing: Ready=False SecretNotFound is InProgress / Progressing",
			setState(2, 5, 0, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonSecretNotFound)),
			status.InProgressStatus, "Progressing"),
		Entry("keys that cannot become env keys: Stalled=True InvalidKey is Failed / Degraded",
			setState(2, 4, 4,
				cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonInvalidKey),
				cond(secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, secretsv1alpha1.ReasonInvalidKey)),
			status.FailedStatus, "Degraded"),
		Entry("a stalled child: Stalled=True EmptyValue is Failed / Degraded",
			setState(2, 5, 4,
				cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonEmptyValue),
				cond(secretsv1alpha1.ConditionStalled, metav1.ConditionTrue, secretsv1alpha1.ReasonEmptyValue)),
			status.FailedStatus, "Degraded"),
		Entry("unobserved generation: InProgress / Progressing, even if Ready",
			setState(1, 5, 5, cond(secretsv1alpha1.ConditionReady, metav1.ConditionTrue, secretsv1alpha1.ReasonSynced)),
			status.InProgressStatus, "Progressing"),
		Entry("suspended: InProgress / Suspended",
			setState(2, 5, 0, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonSuspended)),
			status.InProgressStatus, "Suspended"),
		Entry("deleting: Terminating / Progressing", deleting(
			setState(2, 5, 0, cond(secretsv1alpha1.ConditionReady, metav1.ConditionFalse, secretsv1alpha1.ReasonDeleting))),
			status.TerminatingStatus, "Progressing"),
	)
})

func deleting(obj *unstructured.Unstructured) *unstructured.Unstructured {
	now := metav1.Now()
	obj.SetDeletionTimestamp(&now)
	obj.SetFinalizers([]string{secretsv1alpha1.Finalizer})
	return obj
}

// argoHealth runs an Argo CD health script the way Argo CD does: the object as the Lua
// global `obj`, and a table {status, message} returned.
func argoHealth(script string, obj *unstructured.Unstructured) (healthStatus, message string) {
	L := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer L.Close()
	L.SetGlobal("obj", toLua(L, obj.Object))
	ExpectWithOffset(1, L.DoString(script)).To(Succeed())
	ret, ok := L.Get(-1).(*lua.LTable)
	ExpectWithOffset(1, ok).To(BeTrue(), "the script must return a table")
	return lua.LVAsString(ret.RawGetString("status")), lua.LVAsString(ret.RawGetString("message"))
}

// toLua converts decoded JSON (maps, slices, strings, numbers, bools) into Lua values.
func toLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := L.NewTable()
		for k, item := range v {
			t.RawSetString(k, toLua(L, item))
		}
		return t
	case []any:
		t := L.NewTable()
		for _, item := range v {
			t.Append(toLua(L, item))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	}
	Fail("unexpected JSON value type")
	return lua.LNil
}
