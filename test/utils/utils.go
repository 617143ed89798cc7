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

// Package utils holds helpers shared by the test suites: where the project is and where
// the envtest control-plane binaries are.
package utils

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
)

// ProjectDir returns the repository root, found from this source file's location so it
// works whatever directory `go test` runs a package in.
func ProjectDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// CRDDir is the directory holding the generated CustomResourceDefinitions.
func CRDDir() string {
	return filepath.Join(ProjectDir(), "config", "crd", "bases")
}

// EnvtestAssets returns the directory with kube-apiserver, etcd and kubectl: the
// KUBEBUILDER_ASSETS that `make test` sets, or else the newest complete entry of
// setup-envtest's store (so a test started from an IDE finds what `make` provided).
func EnvtestAssets() (string, error) {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir, nil
	}
	store := os.Getenv("ENVTEST_STORE")
	if store == "" {
		data := os.Getenv("XDG_DATA_HOME")
		if data == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", err
			}
			data = filepath.Join(home, ".local", "share")
		}
		store = filepath.Join(data, "kubebuilder-envtest")
	}
	entries, err := os.ReadDir(filepath.Join(store, "k8s"))
	if err != nil {
		return "", fmt.Errorf("no envtest binaries: set KUBEBUILDER_ASSETS or run `make envtest-assets`: %w", err)
	}
	for _, entry := range slices.Backward(entries) {
		dir := filepath.Join(store, "k8s", entry.Name())
		if isExecutable(filepath.Join(dir, "kube-apiserver")) && isExecutable(filepath.Join(dir, "etcd")) &&
			isExecutable(filepath.Join(dir, "kubectl")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no complete envtest binaries under %s: run `make envtest-assets`", store)
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode()&0o111 != 0
}
