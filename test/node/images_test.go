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
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// buildImages builds the release manager, the pause binary and mkimage, and writes
// runDir/pause.tar and runDir/operator.tar (both tags), returning the latter's path.
func buildImages(runDir string) (string, error) {
	managerBin := filepath.Join(runDir, "manager")
	make := exec.Command("make", "--no-print-directory", "build-release", "RELEASE_OUT="+managerBin)
	make.Dir = utils.ProjectDir()
	if out, err := make.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build-release: %w\n%s", err, out)
	}
	pauseBin := filepath.Join(runDir, "pause")
	pause := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", pauseBin, "./hack/pause")
	pause.Dir = utils.ProjectDir()
	pause.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := pause.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build hack/pause: %w\n%s", err, out)
	}
	mkimage := filepath.Join(runDir, "mkimage")
	if err := utils.BuildMkimage(mkimage); err != nil {
		return "", err
	}
	if err := utils.MakeImage(mkimage, filepath.Join(runDir, "pause.tar"), utils.ImageSpec{
		Tags: []string{utils.PauseImage}, User: "65535:65535", Entrypoint: []string{"/pause"},
		Files: map[string]string{pauseBin: "/pause"},
	}); err != nil {
		return "", err
	}
	operatorTar := filepath.Join(runDir, "operator.tar")
	spec, err := utils.OperatorImage(runDir, managerBin, imageRepo+":"+tagA, imageRepo+":"+tagB)
	if err != nil {
		return "", err
	}
	return operatorTar, utils.MakeImage(mkimage, operatorTar, spec)
}
