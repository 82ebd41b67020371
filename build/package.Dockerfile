# The Lambda package, dist/function.zip, built in Debian 12: make
# package-docker (scripts/package-docker.sh), for hosts that cannot build
# the cgo package themselves. The same Makefile recipe as `make package`,
# on the tested build host's packages. Context: the repository root
# (.dockerignore keeps dist/ and .git out; models/ goes in when present).
FROM debian:12

# What `make package` needs from scripts/build-deps.sh's Debian 12 list (not
# awscli, jq, shellcheck: deploy and lint), plus the compiler and make.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      g++ make libdlib-dev libopenblas-dev libjpeg62-turbo-dev libpng-dev libgfortran-12-dev \
      pkg-config zip unzip ca-certificates curl bzip2 \
 && rm -rf /var/lib/apt/lists/*

# Go from the module proxy (Debian 12's golang is 1.19): the version of
# go.mod's go line, checked against the checksum database.
ARG GO_VERSION
ARG GOPROXY=https://proxy.golang.org
ARG GOSUMDB=sum.golang.org
COPY scripts/go-toolchain.sh /usr/local/bin/
RUN GOPROXY="$GOPROXY" GOSUMDB="$GOSUMDB" go-toolchain.sh "$GO_VERSION" /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH GOTOOLCHAIN=local GOPROXY=$GOPROXY GOSUMDB=$GOSUMDB

WORKDIR /src
# Modules first: this layer stays cached until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# deps is this image; models/ from the host when it is complete (the
# official three are verified again), else scripts/models.sh fetches them
# (its debian source works here) and `facevec models` writes the HOG file.
RUN set -e; skip="-o deps"; \
    if [ -f models/frontal_face_detector.dat ] && FACEVEC_MODEL_SOURCES=env scripts/models.sh models; then skip="$skip -o models"; fi; \
    make $skip package \
 && go run ./function/pack -check dist/function.zip
