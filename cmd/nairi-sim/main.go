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

// Command nairi-sim serves the Nairi API simulator (internal/nairi/nairisim)
// for demos and manual testing:
//
//	NAIRI_API_KEY=nr_demo nairi-sim --vault vlt_01KQ27AQH800XQTQPJZ0DH14SJ
//
// It prints one "vault <id>" line per vault it serves, then
// "listening on <url>", and serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi/nairisim"
)

// vaultList collects the repeatable --vault flag.
type vaultList []string

func (v *vaultList) String() string { return strings.Join(*v, ",") }

func (v *vaultList) Set(id string) error {
	if !nairisim.ValidVaultID(id) {
		return errors.New(`want "vlt_" followed by a 26-character upper-case ULID`)
	}
	*v = append(*v, id)
	return nil
}

func main() {
	err := run(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nairi-sim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("nairi-sim", flag.ContinueOnError)
	var vaults vaultList
	listen := fs.String("listen", "127.0.0.1:8089", "address to listen on")
	apiKey := fs.String("api-key", os.Getenv("NAIRI_API_KEY"), "accepted bearer key (default $NAIRI_API_KEY)")
	fs.Var(&vaults, "vault", "vault id to serve (repeatable); one is created when none is given")
	latency := fs.Duration("latency", 0, "delay added to every response")
	rps := fs.Float64("rate-limit", 0, "requests per second allowed per key, answered with 429 beyond it (0 = unlimited)")
	burst := fs.Int("rate-burst", 0, "burst for --rate-limit (default: --rate-limit rounded up)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiKey == "" {
		return errors.New("an API key is required: --api-key or NAIRI_API_KEY")
	}
	if *burst <= 0 {
		*burst = int(*rps + 0.999)
	}

	sim := nairisim.New(
		nairisim.WithAPIKeys(*apiKey),
		nairisim.WithVaults(vaults...),
		nairisim.WithLatency(*latency),
		nairisim.WithRateLimit(*rps, *burst),
	)
	if len(vaults) == 0 {
		vaults = append(vaults, sim.NewVault())
	}
	url, err := sim.Start(*listen)
	if err != nil {
		return err
	}
	defer sim.Close()
	for _, id := range vaults {
		fmt.Println("vault", id)
	}
	fmt.Println("listening on", url)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
