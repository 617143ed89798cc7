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

// Command mkimage writes a container image as a docker-archive tarball (what
// `ctr images import` and `docker load` read) from local files, without a container
// engine or a registry:
//
//	mkimage -o manager.tar -t example.local/manager:v1 -user 65532:65532 \
//	  -entrypoint /manager -workdir / bin/manager-release=/manager
//
// The image has one layer holding exactly the files given (and their parent
// directories), owned by root, with fixed timestamps, so the same inputs give the same
// image digest. The real-node suite (test/node) builds the operator's image with it from
// the release binary; test/node checks the result against the Dockerfile.
//
// It is its own Go module so that go-containerregistry stays out of the operator's
// dependency graph.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is every file's modification time and the image's creation time.
var epoch = time.Unix(0, 0).UTC()

// tags collects repeated -t flags.
type tags []string

func (t *tags) String() string     { return strings.Join(*t, ",") }
func (t *tags) Set(v string) error { *t = append(*t, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	out := fs.String("o", "", "output tarball (docker-archive)")
	var names tags
	fs.Var(&names, "t", "image reference, e.g. example.local/manager:v1 (repeatable)")
	user := fs.String("user", "", "user[:group] the image runs as (the Dockerfile's USER)")
	entrypoint := fs.String("entrypoint", "", "entrypoint, comma separated (the Dockerfile's ENTRYPOINT)")
	workdir := fs.String("workdir", "/", "working directory (the Dockerfile's WORKDIR)")
	arch := fs.String("arch", runtime.GOARCH, "image architecture")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || len(names) == 0 || fs.NArg() == 0 {
		return errors.New("usage: mkimage -o out.tar -t name:tag [-user u:g] [-entrypoint /x] [-workdir /] src=/dst")
	}

	layerData, err := layerTar(fs.Args())
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerData)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", *arch
	cf.Created = v1.Time{Time: epoch}
	cf.Config.User = *user
	cf.Config.WorkingDir = *workdir
	if *entrypoint != "" {
		cf.Config.Entrypoint = strings.Split(*entrypoint, ",")
	}
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}

	refs := map[name.Reference]v1.Image{}
	for _, n := range names {
		tag, err := name.NewTag(n)
		if err != nil {
			return fmt.Errorf("image reference %q: %w", n, err)
		}
		refs[tag] = img
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := tarball.MultiRefWrite(refs, f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// layerTar returns an uncompressed tar of the files given as src=dst, with the parent
// directories of each dst, everything owned by 0:0 and dated epoch.
func layerTar(files []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, spec := range files {
		src, dst, ok := strings.Cut(spec, "=")
		if !ok || src == "" || strings.Trim(dst, "/") == "" {
			return nil, fmt.Errorf("file %q: want src=/dst", spec)
		}
	}
	written := map[string]bool{}
	for _, spec := range files {
		src, dst, _ := strings.Cut(spec, "=")
		dst = strings.TrimPrefix(path.Clean("/"+dst), "/")
		if err := writeParents(tw, path.Dir(dst), written); err != nil {
			return nil, err
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		info, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: dst, Typeflag: tar.TypeReg, Mode: int64(info.Mode().Perm()),
			Size: int64(len(data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeParents writes dir and its parents as directory entries, outermost first.
func writeParents(tw *tar.Writer, dir string, written map[string]bool) error {
	if dir == "." || dir == "/" || written[dir] {
		return nil
	}
	if err := writeParents(tw, path.Dir(dir), written); err != nil {
		return err
	}
	written[dir] = true
	return tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755,
		ModTime: epoch, Format: tar.FormatPAX})
}
