# syntax=docker/dockerfile:1.7
#
# SetuPranali gateway image.
#
#   docker build -t setupranali:dev --build-arg VERSION=$(git describe --always --dirty) .
#
# Two stages: a cgo build (pg_query_go and DuckDB are C/C++ underneath, so the binary links
# glibc and libstdc++) and a slim Debian runtime with the same glibc, running as a non-root user.
# scripts/docker-emulate.sh runs this file's build command and runtime settings outside Docker,
# and CI runs that script: keep the `go build` line on its own line below.

ARG GO_VERSION=1.26
ARG DEBIAN_RELEASE=bookworm

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
# Modules first, so source edits do not refetch them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    mkdir -p /out && \
    CGO_ENABLED=1 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/setupranali ./cmd/setupranali

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to PostgreSQL sources and Redis with verify-full. libstdc++6: DuckDB.
# Time zones are compiled into the binary (time/tzdata); no tzdata package is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid so Kubernetes runAsUser/fsGroup and volume ownership can name it.
RUN groupadd --system --gid 10001 setu \
    && useradd --system --uid 10001 --gid setu --home-dir /var/lib/setupranali \
       --no-create-home --shell /usr/sbin/nologin setu \
    && install -d -o setu -g setu -m 0700 /var/lib/setupranali
COPY --from=build /out/setupranali /usr/local/bin/setupranali
# The demo catalog; mount your own over it (Kubernetes: the ConfigMap) or point SETU_CATALOG
# elsewhere.
COPY catalog.yaml /etc/setupranali/catalog.yaml

# Production by default: the gateway refuses to start without UBI_SECRET_KEY, REDIS_URL and an
# API key instead of exposing the public demo keys on the network.
ENV SETU_ENV=production \
    SETU_CATALOG=/etc/setupranali/catalog.yaml \
    SETU_STATE_DB=/var/lib/setupranali/setupranali.db \
    SETU_PG_ADDR=0.0.0.0:5433 \
    SETU_HTTP_ADDR=0.0.0.0:8080

# The state DB (source registry, API keys) lives here; it is the only path the process writes,
# so the root filesystem can be read-only.
VOLUME ["/var/lib/setupranali"]
WORKDIR /var/lib/setupranali
USER 10001:10001

# 5433: PostgreSQL wire protocol (BI tools). 8080: health, readiness, metrics, OData, REST.
EXPOSE 5433 8080

# No curl in the image: the binary probes its own /v1/health (SETU_HTTP_ADDR).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["setupranali", "healthcheck", "--quiet", "--timeout", "3s"]

ENTRYPOINT ["setupranali"]
CMD ["serve"]
