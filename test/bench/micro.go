//go:build bench

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

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/test/utils"
)

// MicroResult is one line of `go test -bench -benchmem`.
type MicroResult struct {
	Package     string  `json:"package"`
	Name        string  `json:"name"`
	Iterations  int64   `json:"iterations"`
	NsPerOp     float64 `json:"nsPerOp"`
	BytesPerOp  int64   `json:"bytesPerOp"`
	AllocsPerOp int64   `json:"allocsPerOp"`
}

var microPackages = []string{"./internal/controller/", "./internal/nairi/"}

func microCommand(quick bool) []string {
	benchtime := "1s"
	if quick {
		benchtime = "50ms"
	}
	return append([]string{"go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime},
		microPackages...)
}

func (b *bench) runMicro(ctx context.Context) ([]MicroResult, error) {
	args := microCommand(b.quick)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = utils.ProjectDir()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	var results []MicroResult
	pkg := ""
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "github.com/nairi-secrets-operator/nairi-secrets-operator/")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		r := MicroResult{Package: pkg, Name: f[0]}
		r.Iterations, _ = strconv.ParseInt(f[1], 10, 64)
		for i := 2; i+1 < len(f); i += 2 {
			v, _ := strconv.ParseFloat(f[i], 64)
			switch f[i+1] {
			case "ns/op":
				r.NsPerOp = v
			case "B/op":
				r.BytesPerOp = int64(v)
			case "allocs/op":
				r.AllocsPerOp = int64(v)
			}
		}
		results = append(results, r)
	}
	if err != nil {
		return results, fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, tail(out.String(), 20))
	}
	return results, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
