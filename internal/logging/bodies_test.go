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

package logging_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/logging"
)

// client-go, at the most verbose level, logs every response body through the logger of
// the request's context: the filter keeps the body out and everything else in.
func TestClientGoBodiesNeverReachTheLogAtVerbosity10(t *testing.T) {
	const canary = "canary-secret-data-7f3a9c"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","namespace":"ns",` +
			`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"` + canary + `"}},"data":{}}`))
	}))
	defer srv.Close()
	clients, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}

	get := func(logger klog.Logger) {
		t.Helper()
		if _, err := clients.CoreV1().Secrets("ns").Get(klog.NewContext(context.Background(), logger), "s",
			metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	var raw bytes.Buffer
	get(zap.New(zap.WriteTo(&raw), zap.Level(zapcore.Level(-10))))
	if !strings.Contains(raw.String(), canary) {
		t.Fatalf("the unfiltered logger did not show the body, so this test proves nothing; log:\n%s", raw.String())
	}

	var filtered bytes.Buffer
	get(logging.WithoutBodies(zap.New(zap.WriteTo(&filtered), zap.Level(zapcore.Level(-10)))))
	if strings.Contains(filtered.String(), canary) {
		t.Fatalf("a body reached the log:\n%s", filtered.String())
	}
}

func TestTheFilterKeepsOtherMessagesNamesAndValues(t *testing.T) {
	var buf bytes.Buffer
	l := logging.WithoutBodies(zap.New(zap.WriteTo(&buf), zap.Level(zapcore.Level(-10))))
	l.WithName("ctrl").WithValues("ns", "shop").V(1).Info("synced", "id", "sec_1")
	l.Info("Response Body", "body", "secret")
	l.Error(nil, "failed", "body", "secret")
	l.WithValues("body", "secret").Info("anything")
	out := buf.String()
	for _, want := range []string{`"logger":"ctrl"`, `"ns":"shop"`, `"id":"sec_1"`, "synced"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("a body reached the log:\n%s", out)
	}
}
