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
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// ImageSpec is what hack/mkimage puts into an image: the Dockerfile's final-stage
// properties and the files of its one layer.
type ImageSpec struct {
	// Tags are the image references, e.g. k8s.local/nairi-secrets-operator:node-a.
	Tags []string
	// User is the Dockerfile's USER ("65532:65532").
	User string
	// Entrypoint is the Dockerfile's ENTRYPOINT.
	Entrypoint []string
	// WorkingDir is the Dockerfile's WORKDIR.
	WorkingDir string
	// Files maps a local file to its path in the image.
	Files map[string]string
}

// BaseImageFiles are the files of the Dockerfile's base image (distroless/static:nonroot)
// that change how the container runs: the user database. Without it a runtime given only
// the UID (the kubelet passes the image's UID as runAsUser) finds no group for 65532 and
// runs the process with GID 0; with it, as with the real base, the GID is 65532.
var BaseImageFiles = map[string]string{
	"/etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
	"/etc/group": "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n",
}

// OperatorImage is the operator's image as the test suites build it: the release binary
// (`make build-release`, the Dockerfile's flags) as /manager and BaseImageFiles (written
// to dir), with the Dockerfile's USER, ENTRYPOINT and WORKDIR. test/install checks it
// against the Dockerfile itself, so the image a real node runs cannot drift from the one
// users get.
func OperatorImage(dir, managerBin string, tags ...string) (ImageSpec, error) {
	spec := ImageSpec{
		Tags:       tags,
		User:       "65532:65532",
		Entrypoint: []string{"/manager"},
		WorkingDir: "/",
		Files:      map[string]string{managerBin: "/manager"},
	}
	for dst, content := range BaseImageFiles {
		src := filepath.Join(dir, "base-"+filepath.Base(dst))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			return spec, err
		}
		spec.Files[src] = dst
	}
	return spec, nil
}

// BuildMkimage builds hack/mkimage (its own Go module) into out.
func BuildMkimage(out string) error {
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(ProjectDir(), "hack", "mkimage")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build hack/mkimage: %w\n%s", err, output)
	}
	return nil
}

// MakeImage writes spec as a docker-archive tarball at out, with the mkimage binary.
func MakeImage(mkimage, out string, spec ImageSpec) error {
	args := []string{"-o", out, "-user", spec.User, "-entrypoint", strings.Join(spec.Entrypoint, ",")}
	if spec.WorkingDir != "" {
		args = append(args, "-workdir", spec.WorkingDir)
	}
	for _, t := range spec.Tags {
		args = append(args, "-t", t)
	}
	for src, dst := range spec.Files {
		args = append(args, src+"="+dst)
	}
	if output, err := exec.Command(mkimage, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("mkimage %s: %w\n%s", strings.Join(args, " "), err, output)
	}
	return nil
}

// ImageConfig is the part of an image's config file that the Dockerfile sets.
type ImageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		User       string   `json:"User"`
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
}

// ImageTarball is a docker-archive as `ctr images import` reads it.
type ImageTarball struct {
	Tags   []string
	Config ImageConfig
	// Files maps each path of the layers to its tar header.
	Files map[string]*tar.Header
	// Contents holds the regular files' bytes.
	Contents map[string][]byte
}

// ReadImageTarball reads a docker-archive: manifest.json, the config, and every layer.
func ReadImageTarball(file string) (*ImageTarball, error) {
	entries := map[string][]byte{}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if entries[hdr.Name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	if len(manifest) != 1 {
		return nil, fmt.Errorf("want one image in %s, found %d", file, len(manifest))
	}
	img := &ImageTarball{Tags: manifest[0].RepoTags, Files: map[string]*tar.Header{}, Contents: map[string][]byte{}}
	if err := json.Unmarshal(entries[manifest[0].Config], &img.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for _, name := range manifest[0].Layers {
		gz, err := gzip.NewReader(strings.NewReader(string(entries[name])))
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", name, err)
		}
		lr := tar.NewReader(gz)
		for {
			hdr, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			p := "/" + strings.TrimSuffix(path.Clean(hdr.Name), "/")
			img.Files[p] = hdr
			if hdr.Typeflag == tar.TypeReg {
				if img.Contents[p], err = io.ReadAll(lr); err != nil {
					return nil, err
				}
			}
		}
	}
	return img, nil
}

// DockerfileStage is the final stage of a Dockerfile: what the shipped image is.
type DockerfileStage struct {
	From       string
	User       string
	Entrypoint []string
	WorkingDir string
	// Copies maps each COPY destination (absolute) to its source.
	Copies map[string]string
}

// DockerfileFinalStage reads the instructions after the last FROM of a Dockerfile.
func DockerfileFinalStage(file string) (*DockerfileStage, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var stage *DockerfileStage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(instr) {
		case "FROM":
			stage = &DockerfileStage{From: strings.Fields(rest)[0], WorkingDir: "/", Copies: map[string]string{}}
		case "USER":
			stage.User = rest
		case "WORKDIR":
			stage.WorkingDir = path.Join(stage.WorkingDir, rest)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &stage.Entrypoint); err != nil {
				return nil, fmt.Errorf("ENTRYPOINT %s: want the exec (JSON) form: %w", rest, err)
			}
		case "COPY":
			var args []string
			for a := range strings.FieldsSeq(rest) {
				if !strings.HasPrefix(a, "--") {
					args = append(args, a)
				}
			}
			if len(args) != 2 {
				return nil, fmt.Errorf("COPY %s: want one source and one destination", rest)
			}
			dst := args[1]
			if !path.IsAbs(dst) {
				dst = path.Join(stage.WorkingDir, dst)
			}
			if strings.HasSuffix(args[1], "/") || args[1] == "." {
				dst = path.Join(dst, path.Base(args[0]))
			}
			stage.Copies[dst] = args[0]
		}
	}
	if stage == nil {
		return nil, fmt.Errorf("%s has no FROM", file)
	}
	return stage, sc.Err()
}
