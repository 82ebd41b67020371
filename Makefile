# facevec — see README.md. Every target installs what it needs first, so a
# fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
DIST      := dist
MODELS    := models
GOFLAGS_TEST ?=
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# The Lambda binary: static, no -march=native (runs on any x86_64 host).
LAMBDA_TAGS    := lambda.norpc netgo osusergo static
LAMBDA_LDFLAGS := -s -w -linkmode external -extldflags -static
GOARCH_LAMBDA  ?= amd64
# Lambda's name for it, which the package check wants.
LAMBDA_ARCH    := $(if $(filter arm64,$(GOARCH_LAMBDA)),arm64,x86_64)

.PHONY: help deps models build package package-docker image e2e-container test unit race e2e bench fuzz vulncheck run golden deploy undeploy backfill clean

help:
	@echo "make run      the main job: embedded AWS stack, fixtures uploaded, face vectors printed"
	@echo "make test     everything that runs here (unit, race, e2e on the embedded stack)"
	@echo "make package-docker  dist/function.zip built in a Debian 12 container (hosts that cannot build it)"
	@echo "make deps | models | build | package | e2e | bench | fuzz | golden | deploy | undeploy | backfill | clean"

deps: ## system packages, by this host's names (scripts/build-deps.sh: Debian 12, Ubuntu 22.04/24.04); sudo when not root; skips what is installed
	@pkgs=$$(scripts/build-deps.sh) || exit 1; \
	missing=$$(for p in $$pkgs; do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: all packages present"; fi
	@[ -x /usr/bin/aws ] || command -v aws >/dev/null 2>&1 || \
	  echo "deps: no AWS CLI (this distribution has no v2 package): install AWS CLI v2 from AWS for make deploy and the CLI conformance tests"

$(DIST)/facevec: deps $(shell find cmd internal function result localstack -name '*.go' -o -name '*.cpp' -o -name '*.h' 2>/dev/null) go.mod
	@mkdir -p $(DIST)
	$(GO) build -o $@ ./cmd/facevec

build: $(DIST)/facevec ## the CLI in dist/facevec

models: deps $(DIST)/facevec ## fetch + verify the dlib models, write the serialised HOG detector
	scripts/models.sh $(MODELS)
	$(DIST)/facevec models --models $(MODELS)

$(DIST)/lambda/bootstrap: deps $(shell find function result -name '*.go' -o -name '*.cpp' -o -name '*.h') go.mod
	@mkdir -p $(DIST)/lambda
	CGO_ENABLED=1 GOARCH=$(GOARCH_LAMBDA) $(GO) build -trimpath -tags '$(LAMBDA_TAGS)' \
	  -ldflags '$(LAMBDA_LDFLAGS)' -o $@ ./function

package: models $(DIST)/lambda/bootstrap ## dist/function.zip: static bootstrap + models/, readable by anyone, reproducible
	@rm -rf $(DIST)/lambda/models && mkdir -p $(DIST)/lambda/models
	cp $(MODELS)/*.dat $(DIST)/lambda/models/
	$(GO) run ./function/pack -arch $(LAMBDA_ARCH) -o $(DIST)/function.zip $(DIST)/lambda
	@ls -l $(DIST)/function.zip | awk '{printf "package: %s (%.1f MiB)\n", $$NF, $$5/1048576}'

package-docker: ## dist/function.zip built in a Debian 12 container, for hosts that cannot build it (macOS, arm64, other distributions); minutes, not part of make test
	scripts/package-docker.sh

IMAGE ?= facevec/stack:dev
image: package ## facevec/stack:dev, FROM scratch (no registry): the static stand-in + dist/function.zip
	@rm -rf $(DIST)/image && mkdir -p $(DIST)/image
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(DIST)/image/facevec-stack ./cmd/facevec-stack
	cp $(DIST)/function.zip cmd/facevec-stack/Dockerfile $(DIST)/image/
	docker build -q -t $(IMAGE) $(DIST)/image >/dev/null
	@docker image inspect -f 'image: {{index .RepoTags 0}} ({{.Size}} bytes)' $(IMAGE)

unit: models ## Go unit tests (encoder, function, harness, CLI)
	FACEVEC_MODELS=$(CURDIR)/$(MODELS) $(GO) test $(GOFLAGS_TEST) -count=1 ./...

race: models ## the Go side under the race detector
	FACEVEC_MODELS=$(CURDIR)/$(MODELS) $(GO) test -race -count=1 ./result/... ./function/... ./localstack/... ./internal/...

E2E_GREP := grep --line-buffered -E -e '^(=== RUN|--- |PASS|FAIL|ok|SKIP)|e2e:|_test\.go:[0-9]+:'
e2e: package ## end to end: LocalStack when its image is there, else embedded (E2E_BACKEND=localstack|embedded|aws); then the container leg where Docker runs
	@set -o pipefail; export FACEVEC_MODELS=$(CURDIR)/$(MODELS) FACEVEC_ZIP=$(CURDIR)/$(DIST)/function.zip; \
	{ $(GO) test -tags e2e -count=1 -timeout 20m -v ./e2e/... && \
	  $(GO) test -tags e2e -count=1 -timeout 20m -run 'TestLocalStackDeploy|TestDeployThroughTheEndpoint' -v ./deploy/; } 2>&1 | tee $(DIST)/e2e.log | $(E2E_GREP)
	@if docker info >/dev/null 2>&1; then $(MAKE) --no-print-directory e2e-container; \
	else echo "e2e: no Docker engine answers: the container backend leg (make e2e-container) is skipped"; fi

e2e-container: image ## the e2e suite through testcontainers-go against facevec/stack:dev; no container may be left
	@set -o pipefail; export FACEVEC_MODELS=$(CURDIR)/$(MODELS) FACEVEC_ZIP=$(CURDIR)/$(DIST)/function.zip \
	  E2E_BACKEND=localstack FACEVEC_LOCALSTACK_IMAGE=$(IMAGE); \
	$(GO) test -tags e2e -count=1 -timeout 20m -v ./e2e/ 2>&1 | tee $(DIST)/e2e-container.log | \
	  { $(E2E_GREP) -e 'Container (created|terminated)'; true; }
	@left=$$(docker ps -aq --filter label=io.facevec.harness); \
	if [ -n "$$left" ]; then echo "e2e: containers left behind: $$left"; exit 1; fi; \
	echo "e2e: the container backend left no container"

test: unit e2e ## everything that runs here; what .ci/run calls

bench: package ## native dlib baseline vs facevec (and the embedded e2e), ratio table in dist/bench.txt
	@mkdir -p $(DIST)
	@if [ ! $(DIST)/native -nt bench/native/native.cpp ] || [ ! $(DIST)/native -nt function/face/dlib/dlib_nets.h ]; then \
	  echo "bench: g++ bench/native/native.cpp -> $(DIST)/native (about a minute)"; \
	  g++ -O3 -std=c++14 -Wno-deprecated-declarations -Wno-sign-compare -I function/face/dlib -o $(DIST)/native bench/native/native.cpp \
	    -ldlib -lopenblas -lpng16 -ljpeg -lz -lpthread; fi
	FACEVEC_MODELS=$(CURDIR)/$(MODELS) GO=$(GO) bench/run.sh $(CURDIR)/$(DIST)

FUZZ_PKGS := ./function/face/imagefmt/ ./function/face/dlib/ ./function/handler/ ./result/
fuzz: ## each fuzz target for FUZZTIME (default 30s)
	@for p in $(FUZZ_PKGS); do for t in $$($(GO) test -list 'Fuzz.*' $$p | grep ^Fuzz); do \
	  echo "fuzz: $$p $$t"; \
	  FACEVEC_MODELS=$(CURDIR)/$(MODELS) $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} -fuzzminimizetime 10s -parallel $${FUZZPARALLEL:-1} $$p || exit 1; \
	done; done

vulncheck: ## known vulnerabilities in reachable code (skips when vuln.go.dev is unreachable; VULNCHECK_STRICT=1 fails)
	scripts/vulncheck.sh

golden: models build ## regenerate fixtures/golden from the current encoder
	FACEVEC_MODELS=$(CURDIR)/$(MODELS) $(GO) test -count=1 -run TestGolden ./function/face/dlib/ -update

run: package build ## the main job on the embedded stack
	$(DIST)/facevec demo --zip $(DIST)/function.zip $${IMAGES:+--images "$$IMAGES"}

deploy: package ## real AWS (see README)
	deploy/deploy.sh

undeploy: ## real AWS: delete the stack; asks first (or CONFIRM=<stack name>); KEEP_DATA=1 keeps the buckets and the face index
	CONFIRM="$(CONFIRM)" KEEP_DATA="$(KEEP_DATA)" deploy/undeploy.sh

backfill: ## real AWS: an S3 Batch Operations job that encodes what is already in BUCKET [PREFIX=...] [INVENTORY=s3://.../manifest.json]
	BUCKET="$(BUCKET)" PREFIX="$(PREFIX)" INVENTORY="$(INVENTORY)" deploy/backfill.sh

clean:
	rm -rf $(DIST)
