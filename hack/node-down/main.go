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

// Command node-down tears down what a test node (test/utils.StartNode) left in its
// directory: `make test-node` runs it from a shell trap, so a test process that died
// (a timeout, a crash, a kill) still leaves no process, mount, cgroup or bridge behind.
// After a normal run the suite has already removed the directory and this does nothing.
//
//	node-down -kubectl <envtest kubectl> /tmp/nairi-node-XXXXXX
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

func main() {
	kubectl := flag.String("kubectl", "kubectl", "kubectl binary, to delete the node's Pods while the kubelet runs")
	flag.Parse()
	if flag.NArg() != 1 || !strings.HasPrefix(flag.Arg(0), "/tmp/nairi-node-") {
		fmt.Fprintln(os.Stderr, "usage: node-down [-kubectl bin] /tmp/nairi-node-XXXXXX")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if _, err := os.Stat(dir); err != nil {
		return // the suite tore its node down itself
	}
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "node-down: "+format+"\n", args...) }
	progress("tearing down the test node left in %s", dir)
	if err := utils.TeardownNodeDir(dir, *kubectl, progress); err != nil {
		fmt.Fprintln(os.Stderr, "node-down:", err)
		os.Exit(1)
	}
}
