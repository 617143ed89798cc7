# Build the manager binary.
# Override BASE_IMAGE to build from another registry, e.g. docker.io/library/golang:1.26
ARG BASE_IMAGE=golang:1.26
FROM ${BASE_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH
# Stamped into main.version; `make docker-build` passes the Makefile's VERSION.
ARG VERSION=dev

WORKDIR /workspace
# Dependencies first, so source changes do not invalidate the module download layer.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

# The Go sources only (.dockerignore re-includes *.go, go.mod and go.sum).
COPY . .

# A static, reproducible binary: no cgo, no local paths (-trimpath), no build id, and the
# same flags as `make build-release`, which CI runs without a container engine.
# GOARCH is left to the build platform unless TARGETARCH is set (docker buildx).
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -buildid= -X main.version=${VERSION}" -o manager ./cmd

# distroless/static: no shell, no package manager; "nonroot" runs as UID/GID 65532.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
