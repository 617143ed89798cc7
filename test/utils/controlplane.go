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
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlane is a real kube-apiserver and etcd from the envtest store with the project's
// CRDs installed, and an admin kubeconfig on disk for kubectl and the manager.
type ControlPlane struct {
	// Config is the admin connection, for in-process clients.
	Config *rest.Config
	// Kubeconfig is the path of an admin kubeconfig (group system:masters).
	Kubeconfig string
	// Kubectl runs the kubectl binary of the envtest store against this control plane.
	Kubectl Kubectl
	// AuditLog, when the control plane was started WithAuditLog, is the API server's
	// audit log: one JSON event per line.
	AuditLog string

	env *envtest.Environment
}

// ControlPlaneOption changes how StartControlPlane starts kube-apiserver.
type ControlPlaneOption func(env *envtest.Environment, dir string) (func(*ControlPlane), error)

// WithAuditLog makes kube-apiserver record, at Metadata level (who, verb, resource,
// namespace, name, response code; never a body), every request made by a ServiceAccount,
// to dir/audit.log. The admin user's requests (the tests' own) are not recorded.
func WithAuditLog() ControlPlaneOption {
	return func(env *envtest.Environment, dir string) (func(*ControlPlane), error) {
		policy := filepath.Join(dir, "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(serviceAccountAuditPolicy), 0o600); err != nil {
			return nil, err
		}
		log := filepath.Join(dir, "audit.log")
		args := env.ControlPlane.GetAPIServer().Configure()
		args.Set("audit-policy-file", policy)
		args.Set("audit-log-path", log)
		args.Set("audit-log-mode", "blocking") // every event is on disk when the request returns
		return func(cp *ControlPlane) { cp.AuditLog = log }, nil
	}
}

const serviceAccountAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
`

// StartControlPlane starts kube-apiserver and etcd from assetsDir, installs the CRDs of
// config/crd/bases and writes the admin kubeconfig to dir/kubeconfig.
func StartControlPlane(assetsDir, dir string, opts ...ControlPlaneOption) (*ControlPlane, error) {
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{CRDDir()},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assetsDir,
		// A shared 2-core machine can be slow to bring kube-apiserver up and down.
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var finish []func(*ControlPlane)
	for _, opt := range opts {
		f, err := opt(env, dir)
		if err != nil {
			return nil, err
		}
		finish = append(finish, f)
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	cp := &ControlPlane{env: env}
	for _, f := range finish {
		f(cp)
	}
	if err := cp.writeKubeconfig(cfg, dir); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) writeKubeconfig(cfg *rest.Config, dir string) error {
	admin, err := cp.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		return fmt.Errorf("add admin user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		return fmt.Errorf("render kubeconfig: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cp.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(cp.Kubeconfig, kubeconfig, 0o600); err != nil {
		return err
	}
	cp.Config = admin.Config()
	cp.Kubectl = Kubectl{Bin: filepath.Join(cp.env.BinaryAssetsDirectory, "kubectl"), Kubeconfig: cp.Kubeconfig}
	return nil
}

// Stop stops kube-apiserver and etcd and removes their data.
func (cp *ControlPlane) Stop() error {
	return cp.env.Stop()
}
