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

package node

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// The scenarios share one install and build on each other, in this order: the chart's
// Pod, a key rotation, a leader handover, a rolling upgrade; then the other two install
// paths replace the chart.
var _ = Describe("The operator on a real node", Ordered, func() {
	BeforeAll(func() {
		start := time.Now()
		createOperatorNamespace()
		helm("install", releaseName, "dist/chart", "--namespace", operatorNS, "-f", chartValues(tagA))
		waitRollout(deploymentName)
		timed("helm install .. Pod Ready", start)
	})

	It("runs the chart's Pod Ready through its probes, as 65532, read-only root, own ServiceAccount and RBAC", func() {
		start := time.Now()
		pod := onlyPod()
		Expect(podReady(pod)).To(BeTrue())
		Expect(pod.Spec.Containers[0].ReadinessProbe).NotTo(BeNil())
		Expect(pod.Spec.Containers[0].Image).To(Equal(imageRepo + ":" + tagA))
		Expect(pod.Status.ContainerStatuses[0].RestartCount).To(BeZero())

		By("the container's process, seen from the host, runs as 65532:65532 on a read-only root")
		pid, err := node.ContainerPID(pod.Status.ContainerStatuses[0].ContainerID)
		Expect(err).NotTo(HaveOccurred())
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		Expect(err).NotTo(HaveOccurred())
		Expect(string(status)).To(And(
			MatchRegexp(`(?m)^Uid:\s+65532\s+65532\s+65532\s+65532$`),
			MatchRegexp(`(?m)^Gid:\s+65532\s+65532\s+65532\s+65532$`)))
		Expect(rootMountOptions(pid)).To(ContainElement("ro"))

		By("a NairiSecret syncs")
		vault := grantedVault()
		obj := object{Name: "first", Vault: vault, EnvKey: "FIRST", Value: "first-value"}
		applyObjects("node-sync", []object{obj})
		waitSynced("node-sync", 3*time.Minute)
		expectVault(vault, map[string]string{"FIRST": "first-value"})

		By("the API server saw the manager's own ServiceAccount, allowed by the chart's ClusterRoleBinding")
		sa := "system:serviceaccount:" + operatorNS + ":" + pod.Spec.ServiceAccountName
		Expect(pod.Spec.ServiceAccountName).To(Equal(deploymentName))
		Eventually(func() []string { return statusWriters(node.AuditLog()) }).Should(ContainElement(sa))
		Expect(statusWriters(node.AuditLog())).To(ConsistOf(sa), "only the manager writes NairiSecret status")
		Expect(allowReasons(node.AuditLog(), sa)).To(ContainElement(ContainSubstring(
			`ClusterRoleBinding "` + releaseName + `-manager-rolebinding"`)))
		timed("scenario: chart Pod, identity, first sync", start)
	})

	It("picks up a rotated API key from the mounted file without a restart", func() {
		start := time.Now()
		pod := onlyPod()
		restarts := pod.Status.ContainerStatuses[0].RestartCount
		keyFile := filepath.Join(node.KubeletPodDir(string(pod.UID)), "volumes", "kubernetes.io~secret",
			"nairi-api-key", "apiKey")
		Expect(os.ReadFile(keyFile)).To(BeEquivalentTo(firstKey))

		const secondKey = "nr_node_operator_key_second"
		sim.AddAPIKey(secondKey)
		rotated := run("create", "secret", "generic", "nairi-api-key", "--from-literal=apiKey="+secondKey,
			"--dry-run=client", "-o", "yaml")
		_, err := kubectl.Apply(operatorNS, rotated)
		Expect(err).NotTo(HaveOccurred())

		By("the kubelet refreshes the mounted file (syncFrequency 10s here; about a minute by default)")
		Eventually(func() (string, error) {
			data, err := os.ReadFile(keyFile)
			return string(data), err
		}).Should(Equal(secondKey))
		timed("key file refreshed after the Secret changed", start)

		By("with the old key revoked, the next call succeeds: the manager used the new key")
		sim.RevokeAPIKey(firstKey)
		revoked := time.Now()
		Expect(setValue("node-sync", object{Name: "first"}, "after-rotation")).To(Succeed())
		Eventually(func() string { return nsecValue("node-sync", "first") }).Should(Equal("after-rotation"))
		Expect(unauthorizedSince(revoked)).To(BeZero(), "a call was made with the revoked key")

		pod = onlyPod()
		Expect(pod.Status.ContainerStatuses[0].RestartCount).To(Equal(restarts), "the manager restarted")
		timed("scenario: key rotation", start)
	})

	It("hands over to the other replica when the leader's Pod is deleted mid-sync: one POST per object", func() {
		start := time.Now()
		// Host-network Pods cannot share the probe port: the second replica is a copy of
		// the Deployment probed on another port.
		By("starting a second replica")
		startStandby()
		DeferCleanup(func() {
			run("delete", "deployment", deploymentName+"-standby", "-n", operatorNS, "--wait=true", "--timeout=2m")
		})
		var leader corev1.Pod
		pods := append(operatorPods(managerSelector), operatorPods("control-plane=controller-manager-standby")...)
		Expect(pods).To(HaveLen(2))
		Eventually(func() int {
			leaders := 0
			for _, p := range pods {
				if ok, _ := acquired.Match(managerLog(p)()); ok {
					leaders++
				}
			}
			return leaders
		}).Should(Equal(1), "one of the two leads")
		leader = pods[0]
		if ok, _ := acquired.Match(managerLog(pods[1])()); ok {
			leader = pods[1]
		}

		const n = 200
		vault := grantedVault()
		objs := batch("handover", vault, n)
		applyObjects("node-leader", objs)
		Eventually(func() int { return posts(vault) }).Should(BeNumerically(">=", n/5))
		Expect(posts(vault)).To(BeNumerically("<", n), "the sync ended before the leader could be deleted")
		By(fmt.Sprintf("deleting the leader %s after %d POSTs", leader.Name, posts(vault)))
		run("delete", "pod", leader.Name, "-n", operatorNS, "--wait=false")

		waitSynced("node-leader", 8*time.Minute)
		// The standby and the Deployment's replacement for the deleted Pod race for the
		// lease once it is free; either may win. What the handover must show is that a
		// replica other than the deleted leader took over, and (below) no duplicate POST.
		Eventually(func() []string {
			var took []string
			survivors := append(operatorPods(managerSelector),
				operatorPods("control-plane=controller-manager-standby")...)
			for _, p := range survivors {
				if ok, _ := acquired.Match(managerLog(p)()); ok && p.UID != leader.UID {
					took = append(took, p.Name)
				}
			}
			return took
		}).Should(HaveLen(1), "another replica took the lease")
		want := map[string]string{}
		for _, o := range objs {
			want[o.EnvKey] = o.Value
		}
		expectVault(vault, want)
		Expect(posts(vault)).To(Equal(n), "exactly one POST per object")
		timed("scenario: leader handover, 200 objects", start)
	})

	It("rolls from one image tag to another while objects change, losing and duplicating nothing", func() {
		start := time.Now()
		const n = 20
		vault := grantedVault()
		objs := batch("upgrade", vault, n)
		applyObjects("node-upgrade", objs)
		waitSynced("node-upgrade", 5*time.Minute)
		latest := map[string]string{}
		for _, o := range objs {
			latest[o.EnvKey] = o.Value
		}
		before := onlyPod()

		By("changing values all through the upgrade")
		var mu sync.Mutex
		stop := make(chan struct{})
		done := make(chan struct{})
		changes := 0
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := objs[i%n]
				value := fmt.Sprintf("changed-%03d-%d", i, time.Now().UnixNano())
				if setValue("node-upgrade", o, value) == nil {
					mu.Lock()
					latest[o.EnvKey] = value
					changes++
					mu.Unlock()
				}
			}
		}()
		helm("upgrade", releaseName, "dist/chart", "--namespace", operatorNS, "-f", chartValues(tagB))
		waitRollout(deploymentName)
		after := onlyPod()
		Expect(after.Name).NotTo(Equal(before.Name))
		Expect(after.Spec.Containers[0].Image).To(Equal(imageRepo + ":" + tagB))
		Eventually(managerLog(after)).Should(acquired)
		mu.Lock()
		seen := changes
		mu.Unlock()
		Eventually(func() int { mu.Lock(); defer mu.Unlock(); return changes }).Should(BeNumerically(">=", seen+n))
		close(stop)
		<-done
		By(fmt.Sprintf("%d changes made during the upgrade", changes))

		Eventually(vaultValues(vault), 5*time.Minute).Should(Equal(latest), "a change was lost")
		expectVault(vault, latest)
		Expect(posts(vault)).To(Equal(n), "a secret was created twice")
		timed("scenario: rolling upgrade with changes", start)
	})

	It("runs the same Pod Ready from dist/install.yaml and from config/default (kubectl apply -k)", func() {
		start := time.Now()
		helm("uninstall", releaseName, "--namespace", operatorNS, "--wait")
		Eventually(func() []string { return podNames(managerSelector) }).Should(BeEmpty())

		for _, path := range []struct{ what, flag, file string }{
			{"dist/install.yaml", "-f", filepath.Join(utils.ProjectDir(), "dist", "install.yaml")},
			{"config/default", "-k", filepath.Join(utils.ProjectDir(), "config", "default")},
		} {
			By("kubectl apply " + path.flag + " " + path.what)
			step := time.Now()
			run("apply", path.flag, path.file)
			// The shipped Namespace enforces the restricted profile; host network needs more.
			allowHostNetwork(operatorNS)

			By("the shipped Deployment's Pods are refused: they could pull an image")
			Eventually(func() string { return refusals(operatorNS) }).Should(ContainSubstring("local-images-only"))

			By("patched for this node (image, host network, loopback), its Pod becomes Ready")
			run("patch", "deployment", deploymentName, "-n", operatorNS, "--type=json", "-p", nodePatch())
			waitRollout(deploymentName)
			pod := onlyPod()
			Expect(podReady(pod)).To(BeTrue())
			Expect(pod.Spec.ServiceAccountName).To(Equal(deploymentName))

			By("and it reconciles")
			value := "from-" + strings.ReplaceAll(path.what, "/", "-")
			Expect(setValue("node-sync", object{Name: "first"}, value)).To(Succeed())
			Eventually(func() string { return nsecValue("node-sync", "first") }).Should(Equal(value))
			timed("scenario: kubectl apply "+path.flag+" "+path.what, step)

			run("delete", "deployment", deploymentName, "-n", operatorNS, "--wait=true", "--timeout=2m")
			run("delete", "events", "--all", "-n", operatorNS)
			Eventually(func() []string { return podNames(managerSelector) }).Should(BeEmpty())
		}
		timed("scenario: install.yaml and kustomize", start)
	})
})

// rootMountOptions returns the mount options of a process's root filesystem.
func rootMountOptions(pid int) []string {
	GinkgoHelper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 5 && fields[4] == "/" {
			return strings.Split(fields[5], ",")
		}
	}
	Fail("no root mount in the container's mountinfo")
	return nil
}

// auditEvent is the part of an audit event the suite reads.
type auditEvent struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	Annotations map[string]string `json:"annotations"`
}

func auditEvents(file string) []auditEvent {
	data, _ := os.ReadFile(file)
	var out []auditEvent
	for line := range strings.SplitSeq(string(data), "\n") {
		var e auditEvent
		if json.Unmarshal([]byte(line), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// statusWriters are the users that wrote NairiSecret status.
func statusWriters(file string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range auditEvents(file) {
		if e.ObjectRef.Resource == "nairisecrets" && e.ObjectRef.Subresource == "status" &&
			(e.Verb == "update" || e.Verb == "patch") && !seen[e.User.Username] {
			seen[e.User.Username] = true
			out = append(out, e.User.Username)
		}
	}
	return out
}

// allowReasons are the RBAC reasons the API server gave for user's requests.
func allowReasons(file, user string) []string {
	var out []string
	for _, e := range auditEvents(file) {
		if e.User.Username == user && e.Annotations["authorization.k8s.io/decision"] == "allow" {
			out = append(out, e.Annotations["authorization.k8s.io/reason"])
		}
	}
	return out
}
