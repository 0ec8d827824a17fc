# evident — the two commands that matter: `make demo` and `make test`.
GO       ?= go
BIN      := bin/evident
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# The build date is the commit date, not now, so the same commit always gives
# the same binary (-trimpath, -buildid= and fixed ldflags: a reproducible build).
DATE     ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -buildid= \
	-X github.com/evident-project/evident/generator/version.Version=$(VERSION) \
	-X github.com/evident-project/evident/generator/version.Commit=$(COMMIT) \
	-X github.com/evident-project/evident/generator/version.Date=$(DATE)

.PHONY: build demo test test-short deps tools kube browser-deps lint bench schema clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/evident

## demo: build the embedded demo into ./demo and print the site's path
demo: build
	./$(BIN) demo --out ./demo

## deps: what the tests need beyond Go (git, gpg, ssh-keygen, etcd); installs only what is missing
deps:
	@missing=""; \
	command -v git >/dev/null || missing="$$missing git"; \
	command -v gpg >/dev/null || missing="$$missing gnupg"; \
	command -v ssh-keygen >/dev/null || missing="$$missing openssh-client"; \
	command -v etcd >/dev/null || missing="$$missing etcd-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq $$missing; fi; \
	fi

## tools: the upstream CLIs the interop tests run against, built from the Go
## module proxy into .tools/bin (tests find them there; nothing global)
COSIGN_VERSION := v2.6.5
tools: .tools/bin/cosign
.tools/bin/cosign:
	GOBIN=$(CURDIR)/.tools/bin $(GO) install github.com/sigstore/cosign/v2/cmd/cosign@$(COSIGN_VERSION)

## kube: the real kube-apiserver the Kubernetes integration tests start (with
## etcd from `make deps`), built from the Go module proxy into .tools/kube
## by hack/build-kube.sh; the first build takes a while, later runs nothing
kube:
	GO=$(GO) bash hack/build-kube.sh

## browser-deps: Debian's chromium and axe-core (from the npm lockfile in
## internal/browsertest) for the browser tests; installs only what is missing
browser-deps:
	bash hack/browser-deps.sh

## test: every test, with the race detector, plus vet and staticcheck
test: deps tools kube browser-deps lint
	$(GO) test -race -count=1 -timeout 25m ./...

## test-short: the fast inner loop (no race detector, no lint, -short skips
## the interop tests that need the upstream CLIs from `make tools` and the
## kube-apiserver from `make kube`)
test-short:
	$(GO) test -short -count=1 ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

## schema: regenerate docs/controls.schema.json from the Go types
schema:
	$(GO) run ./generator/catalog/internal/schemagen > docs/controls.schema.json

## bench: the benchmarks recorded in bench/RESULTS.md
bench:
	bash bench/gitsig.sh
	bash bench/verify.sh
	bash bench/rbac.sh
	bash bench/build.sh

clean:
	rm -rf bin demo .tools site/* evidence/* internal/browsertest/node_modules test-artifacts
