# orbos: the two commands are `make demo` (the main job on a local default) and `make test`.
SHELL := /bin/bash
GO ?= go

.PHONY: all tools tools-upgrade build image-context image reconciler-image policy test test-upgrade unit e2e bench fuzz demo demo-down demo-apiserver vet clean

all: build

## tools: build/install the Pulumi CLI, the kubernetes provider plugin, sshd, and a real kubeadm cluster's
## binaries, container images and .debs of Kubernetes v1.31.4 (cached by version; see hack/tools.sh)
tools:
	bash hack/tools.sh

## tools-upgrade: the same real-cluster set of the upgrade target version (hack/tools.sh kubernetes-next)
tools-upgrade:
	bash hack/tools.sh kubernetes-next

## build: bin/orbctl and the policy pack bin/orbos-policy beside it
build:
	$(GO) build -o bin/orbctl ./cmd/orbctl
	$(GO) build -o bin/orbos-policy ./cmd/orbos-policy

## image-context: the reconciler image's binaries in bin/image/ (see Dockerfile)
image-context: tools
	mkdir -p bin/image
	CGO_ENABLED=0 $(GO) build -o bin/image/orbctl ./cmd/orbctl
	CGO_ENABLED=0 $(GO) build -o bin/image/orbos-policy ./cmd/orbos-policy
	cp -L $${ORBOS_TOOLS:-$$HOME/.cache/orbos/tools}/bin/pulumi $${ORBOS_TOOLS:-$$HOME/.cache/orbos/tools}/bin/pulumi-resource-kubernetes bin/image/

## image: docker build of the reconciler image (needs a Docker engine)
IMAGE ?= orbos:dev
image: image-context
	docker build -t $(IMAGE) .

## reconciler-image: the same image without a container engine, as a docker-archive (bin/orbos-image.tar:
## `ctr images import` or `skopeo copy docker-archive:bin/orbos-image.tar docker://REGISTRY/orbos:TAG`)
reconciler-image: image-context
	$(GO) run ./hack/images -reconciler bin/image -ref $(IMAGE) -out bin/orbos-image.tar

## policy: run the policy pack against the example ORBs (in the tests; see policy/)
policy:
	$(GO) test -count=1 -run 'Policy' ./policy/ ./test/e2e/

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }

## test: every test tier on real parts (installs the tools first); the real clusters run beside the rest
test: tools vet
	GO=$(GO) bash hack/test.sh

## test-upgrade: a real minor upgrade (v1.31.4 -> v1.32.9) of 3 control planes and 2 workers, watched on the
## cluster; not in `make test` (the v1.32.9 set is a cold build of its own that CI's time cannot afford)
test-upgrade:
	bash hack/tools.sh cluster && bash hack/tools.sh kubernetes-next && $(GO) test -tags upgrade -count=1 -timeout 40m -run TestRealClusterUpgrade ./test/e2e/

## unit: the tests that need no tool
unit:
	ORBOS_SKIP_APISERVER=1 $(GO) test -count=1 ./...

## bench: orbctl's overhead against the raw Automation API, and repository growth per run
bench: tools
	$(GO) test -run XXX -bench . -benchtime 10x -timeout 30m ./test/e2e/
	$(GO) test -run XXX -bench . -benchtime 50x ./internal/sshexec ./provider

## fuzz: fuzz the spec decoder and the renderers (every script keeps its command structure whatever
## the values); plain `go test` runs both seed corpora. FUZZTIME=10m for a longer run.
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./stacks/
	$(GO) test -run XXX -fuzz FuzzRender -fuzztime $(FUZZTIME) ./host/

## demo: a real cluster made by orbctl on local machines (namespaces): init, up, nodes, a workload; again: no change
demo: tools build
	bash hack/demo.sh

## demo-down: remove the demo's machines, their processes, namespaces, mounts, interfaces and rules
demo-down:
	go run ./hack/machines down $${ORBOS_DEMO:-$$HOME/.cache/orbos/demo}/machines
	rm -f $${ORBOS_DEMO:-$$HOME/.cache/orbos/demo}/orbconfig $${ORBOS_DEMO:-$$HOME/.cache/orbos/demo}/admin.conf
	rm -rf $${ORBOS_DEMO:-$$HOME/.cache/orbos/demo}/orb-demo.git $${ORBOS_DEMO:-$$HOME/.cache/orbos/demo}/checkout

## demo-apiserver: the faster demo: an ORB on a local kube-apiserver (no nodes): init, preview, up, status, history
demo-apiserver: tools build
	bash hack/demo-apiserver.sh

clean:
	rm -rf bin
