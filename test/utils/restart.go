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
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// StartRestartableControlPlane is StartControlPlane with kube-apiserver's certificates kept in
// dir/apiserver, so that RestartAPIServer can stop and start kube-apiserver alone: etcd keeps
// running with its data, and the port and the certificates every kubeconfig trusts stay.
func StartRestartableControlPlane(assetsDir, dir string) (*ControlPlane, error) {
	certDir := filepath.Join(dir, "apiserver")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:        []string{CRDDir()},
		ErrorIfCRDPathMissing:    true,
		BinaryAssetsDirectory:    assetsDir,
		ControlPlaneStartTimeout: 2 * time.Minute,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	env.ControlPlane.APIServer = &envtest.APIServer{CertDir: certDir}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start control plane: %w", err)
	}
	cp := &ControlPlane{env: env}
	if err := cp.writeKubeconfig(cfg, dir); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return cp, nil
}

// RestartAPIServer stops kube-apiserver, waits down, and starts it again on the same port
// with the same certificates; etcd and its data are untouched. Only a control plane from
// StartRestartableControlPlane can do this.
func (cp *ControlPlane) RestartAPIServer(down time.Duration) error {
	api := cp.env.ControlPlane.APIServer
	if api == nil || api.CertDir == "" || !filepath.IsAbs(api.CertDir) {
		return errors.New("restart kube-apiserver: not a restartable control plane")
	}
	certDir := api.CertDir
	// A kube-apiserver that does not stop in time (a loaded machine) has been SIGKILLed by
	// Stop, which reports it as an error: it is down either way, so start it again.
	stopErr := api.Stop()
	api.CertDir = certDir
	time.Sleep(down)
	if err := api.Start(); err != nil {
		return errors.Join(stopErr, fmt.Errorf("start kube-apiserver again: %w", err))
	}
	return nil
}
