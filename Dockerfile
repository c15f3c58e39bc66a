# modelctl in a container: built with the Swift image, run on a slim Debian that adds only
# OpenSSL 3 (libssl3). The binary carries the Swift runtime (--static-swift-stdlib), so the
# runtime image needs nothing else from the system beyond glibc and libstdc++.
#   docker build -t ghcr.io/example/modelctl:0.2.0 .
#   docker run --rm -v /srv/models:/srv/models:ro -v /etc/modelctl:/etc/modelctl \
#     -e MODELCTL_REGISTRY_DIR=/etc/modelctl ghcr.io/example/modelctl:0.2.0 verify --all
ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --product modelctl --static-swift-stdlib \
 && install -D -m 0755 .build/release/modelctl /out/modelctl \
 && make check-deps MODELCTL=/out/modelctl -o build

FROM debian:bookworm-slim
# libssl3 for hashing and TLS; ca-certificates (data, not a library) so HTTPS to a catalog
# server or a backend can be verified.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/modelctl /usr/local/bin/modelctl
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/modelctl"]
CMD ["--help"]
