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

package utils

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// ChartIdentity is the identity a release of the Helm chart gives the manager: its
// ServiceAccount and the RBAC objects the chart renders for it, applied to a control
// plane, with a kubeconfig that authenticates as that ServiceAccount.
type ChartIdentity struct {
	// Release is the Helm release name; the objects' names start with it.
	Release string
	// Namespace is the release's (the operator's) namespace.
	Namespace string
	// WatchNamespaces is manager.watchNamespaces: empty renders the cluster-wide mode.
	WatchNamespaces []string
	// Username is how the API server names the ServiceAccount in audit events.
	Username string
	// RBAC holds the ServiceAccount, Roles, ClusterRoles and bindings as rendered.
	RBAC []*unstructured.Unstructured
	// Kubeconfig is the path of a kubeconfig holding a token of the ServiceAccount.
	Kubeconfig string
}

const (
	kindServiceAccount = "ServiceAccount"
	kindRole           = "Role"
	kindClusterRole    = "ClusterRole"
)

// rbacKinds are the kinds of the chart's output that make up the manager's identity.
var rbacKinds = map[string]bool{kindServiceAccount: true, kindRole: true, kindClusterRole: true,
	"RoleBinding": true, "ClusterRoleBinding": true}

// RenderChartIdentity renders the chart in dist/chart (with the helm binary in bin/) as
// release in namespace, with manager.watchNamespaces set to watch, and keeps the RBAC
// objects and the ServiceAccount.
func RenderChartIdentity(release, namespace string, watch []string) (*ChartIdentity, error) {
	args := []string{"template", release, filepath.Join(ProjectDir(), "dist", "chart"), "--namespace", namespace}
	if len(watch) > 0 {
		args = append(args, "--set", "manager.watchNamespaces={"+strings.Join(watch, ",")+"}")
	}
	cmd := exec.Command(filepath.Join(ProjectDir(), "bin", "helm"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("helm %s: %w: %s (run `make helm` first)", strings.Join(args, " "), err, stderr.String())
	}
	id := &ChartIdentity{Release: release, Namespace: namespace, WatchNamespaces: watch}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decode the chart's output: %w", err)
		}
		if !rbacKinds[obj.GetKind()] {
			continue
		}
		id.RBAC = append(id.RBAC, obj)
		if obj.GetKind() == kindServiceAccount {
			id.Username = "system:serviceaccount:" + namespace + ":" + obj.GetName()
		}
	}
	if id.Username == "" {
		return nil, errors.New("the chart rendered no ServiceAccount")
	}
	return id, nil
}

// ServiceAccountName is the name of the rendered ServiceAccount.
func (id *ChartIdentity) ServiceAccountName() string {
	return strings.TrimPrefix(id.Username, "system:serviceaccount:"+id.Namespace+":")
}

// Apply creates the identity's objects through kubectl (as admin), gets a token for the
// ServiceAccount from the TokenRequest API, and writes a kubeconfig using it to dir.
func (id *ChartIdentity) Apply(cp *ControlPlane, dir string) error {
	var manifest strings.Builder
	for _, obj := range id.RBAC {
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return err
		}
		manifest.WriteString("---\n")
		manifest.Write(data)
	}
	if out, err := cp.Kubectl.Apply("", manifest.String()); err != nil {
		return fmt.Errorf("apply the chart's RBAC for %s: %w\n%s", id.Release, err, out)
	}

	clients, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token, err := clients.CoreV1().ServiceAccounts(id.Namespace).CreateToken(ctx, id.ServiceAccountName(),
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: new(int64(2 * 3600))}},
		metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("TokenRequest for %s: %w", id.Username, err)
	}

	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cp.Config.Host,
		CertificateAuthorityData: cp.Config.CAData}
	kc.AuthInfos[id.Username] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	kc.Contexts["manager"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: id.Username}
	kc.CurrentContext = "manager"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	id.Kubeconfig = filepath.Join(dir, "kubeconfig-"+id.Release)
	return clientcmd.WriteToFile(*kc, id.Kubeconfig)
}
