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

package nairisim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"

	"github.com/nairi-secrets-operator/nairi-secrets-operator/internal/nairi"
)

// Error strings. The first three are verbatim from the docs
// (nairi-api.md §2.1); the others are guesses, listed in README.md.
const (
	msgVaultNotFound   = "vault not found"
	msgEnvKeyExists    = "env_key already exists in this vault"
	msgEmptyValue      = "value cannot be empty"
	msgUnauthorized    = "unauthorized"
	msgSecretNotFound  = "secret not found"
	msgInvalidVaultID  = "invalid vault id"
	msgInvalidSecretID = "invalid secret id"
	msgInvalidJSON     = "invalid JSON body"
	msgBodyTooLarge    = "request body too large"
	msgEnvKeyRequired  = "env_key is required"
	msgEnvKeyFormat    = "env_key must match ^[A-Za-z_][A-Za-z0-9_]*$"
	msgValueNotString  = "value must be a string"
	msgDomainsInvalid  = "allowed_domains must be an array of strings"
	msgMethod          = "method not allowed"
	msgNotFound        = "not found"
	msgRateLimited     = "rate limit exceeded"
)

// maxBodyBytes bounds a request body. The docs give no value size limit; this
// is comfortably above a Kubernetes Secret's 1 MiB.
const maxBodyBytes = 2 << 20

// timeLayout is the API's timestamp format: UTC with milliseconds and "Z".
const timeLayout = "2006-01-02T15:04:05.000Z"

var envKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// wireSecret is a secret on the wire. nairi.Secret would marshal its times
// with a variable number of fraction digits; the API always sends three.
type wireSecret struct {
	ID             string   `json:"id"`
	EnvKey         string   `json:"env_key"`
	AllowedDomains []string `json:"allowed_domains"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
}

func (rec *record) wire() wireSecret {
	return wireSecret{
		ID:             rec.id,
		EnvKey:         rec.envKey,
		AllowedDomains: append([]string{}, rec.domains...), // [] rather than null
		CreatedAt:      rec.created.Format(timeLayout),
		UpdatedAt:      rec.updated.Format(timeLayout),
	}
}

// routes wires the documented endpoints. Patterns carry no method so that a
// wrong method gets the API's JSON error shape rather than ServeMux's text.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle(nairi.APIPrefix+"/vaults/{vault_id}/secrets", s.endpoint(nairi.RouteSecrets, s.secrets))
	mux.Handle(nairi.APIPrefix+"/vaults/{vault_id}/secrets/{secret_id}", s.endpoint(nairi.RouteSecret, s.secret))
	mux.Handle("/", s.endpoint("", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, msgNotFound)
	}))
	return mux
}

// secrets serves /vaults/{vault_id}/secrets.
func (s *Server) secrets(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.list(w, r)
	case http.MethodPost:
		s.create(w, r)
	default:
		methodNotAllowed(w, "GET, POST")
	}
}

// secret serves /vaults/{vault_id}/secrets/{secret_id}.
func (s *Server) secret(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPatch:
		s.update(w, r)
	case http.MethodDelete:
		s.delete(w, r)
	default:
		methodNotAllowed(w, "PATCH, DELETE")
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaultLocked(w, r)
	if !ok {
		return
	}
	out := make([]wireSecret, 0, len(v.secrets))
	for _, rec := range v.secrets {
		out = append(out, rec.wire())
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	data, readErr := readBody(w, r) // before locking: a slow client must not stall others
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaultLocked(w, r)
	if !ok {
		return
	}
	body, ok := parseObject(w, data, readErr)
	if !ok {
		return
	}
	var envKey string
	if raw, ok := body["env_key"]; !ok || json.Unmarshal(raw, &envKey) != nil || envKey == "" {
		writeError(w, http.StatusBadRequest, msgEnvKeyRequired)
		return
	}
	if !envKeyPattern.MatchString(envKey) {
		writeError(w, http.StatusBadRequest, msgEnvKeyFormat)
		return
	}
	raw, ok := body["value"]
	if !ok {
		writeError(w, http.StatusBadRequest, msgEmptyValue)
		return
	}
	value, msg := parseValue(raw)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	domains := []string{}
	if raw, ok := body["allowed_domains"]; ok {
		if domains, msg = parseDomains(raw); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
	}
	if v.findEnvKey(envKey) != nil {
		writeError(w, http.StatusBadRequest, msgEnvKeyExists)
		return
	}
	rec := s.insertLocked(v, envKey, value, domains)
	writeJSON(w, http.StatusCreated, rec.wire())
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	data, readErr := readBody(w, r)
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaultLocked(w, r)
	if !ok {
		return
	}
	_, rec, ok := secretLocked(w, r, v)
	if !ok {
		return
	}
	body, ok := parseObject(w, data, readErr)
	if !ok {
		return
	}
	// Validate everything before changing anything: a refused PATCH leaves
	// the secret as it was.
	newValue, newDomains := rec.value, rec.domains
	if raw, ok := body["value"]; ok {
		var msg string
		if newValue, msg = parseValue(raw); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
	}
	if raw, ok := body["allowed_domains"]; ok {
		var msg string
		if newDomains, msg = parseDomains(raw); msg != "" {
			writeError(w, http.StatusBadRequest, msg)
			return
		}
	}
	// updated_at moves only on a real change (documented for {}; guessed for
	// an identical value, nairi-api.md §6 #6).
	if newValue != rec.value || !slices.Equal(newDomains, rec.domains) {
		rec.value, rec.domains = newValue, newDomains
		rec.updated = s.stampLocked()
	}
	writeJSON(w, http.StatusOK, rec.wire())
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vaultLocked(w, r)
	if !ok {
		return
	}
	i, _, ok := secretLocked(w, r, v)
	if !ok {
		return
	}
	v.secrets = slices.Delete(v.secrets, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

// insertLocked stores a new secret, stamped now.
func (s *Server) insertLocked(v *vault, envKey, value string, domains []string) *record {
	now := s.stampLocked()
	rec := &record{
		id:      secretPrefix + s.ids.next(now),
		envKey:  envKey,
		value:   value,
		domains: append([]string{}, domains...),
		created: now,
		updated: now,
	}
	v.secrets = append(v.secrets, rec)
	return rec
}

// vaultLocked resolves {vault_id}: 400 when malformed, 404 when unknown.
func (s *Server) vaultLocked(w http.ResponseWriter, r *http.Request) (*vault, bool) {
	id := r.PathValue("vault_id")
	if !validID(vaultPrefix, id) {
		writeError(w, http.StatusBadRequest, msgInvalidVaultID)
		return nil, false
	}
	v := s.vaults[id]
	if v == nil {
		writeError(w, http.StatusNotFound, msgVaultNotFound)
		return nil, false
	}
	return v, true
}

// secretLocked resolves {secret_id} within v: 400 when malformed, 404 when
// not in this vault.
func secretLocked(w http.ResponseWriter, r *http.Request, v *vault) (int, *record, bool) {
	id := r.PathValue("secret_id")
	if !validID(secretPrefix, id) {
		writeError(w, http.StatusBadRequest, msgInvalidSecretID)
		return 0, nil, false
	}
	i, rec := v.find(id)
	if rec == nil {
		writeError(w, http.StatusNotFound, msgSecretNotFound)
		return 0, nil, false
	}
	return i, rec, true
}

// readBody reads a request body of at most maxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	return buf.Bytes(), err
}

// parseObject decodes a JSON object body, keeping fields raw so that a
// missing field, null and a value can be told apart. It answers 400 itself
// when the body could not be read or is not an object.
func parseObject(w http.ResponseWriter, data []byte, readErr error) (map[string]json.RawMessage, bool) {
	if readErr != nil {
		msg := msgInvalidJSON
		if _, tooLarge := errors.AsType[*http.MaxBytesError](readErr); tooLarge {
			msg = msgBodyTooLarge
		}
		writeError(w, http.StatusBadRequest, msg)
		return nil, false
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil || obj == nil { // obj is nil for "null"
		writeError(w, http.StatusBadRequest, msgInvalidJSON)
		return nil, false
	}
	return obj, true
}

// parseValue reads a present "value": null and "" are both "empty".
func parseValue(raw json.RawMessage) (string, string) {
	if string(raw) == "null" {
		return "", msgEmptyValue
	}
	var value string
	if json.Unmarshal(raw, &value) != nil {
		return "", msgValueNotString
	}
	if value == "" {
		return "", msgEmptyValue
	}
	return value, ""
}

// parseDomains reads a present "allowed_domains"; null is refused (the docs
// give [] as the way to say "no restriction").
func parseDomains(raw json.RawMessage) ([]string, string) {
	var domains []string
	if string(raw) == "null" || json.Unmarshal(raw, &domains) != nil {
		return nil, msgDomainsInvalid
	}
	return domains, ""
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, msgMethod)
}

// writeError writes the API's one error shape, {"error": "..."}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
