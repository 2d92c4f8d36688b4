# The reference backend's container image: the static release binary and the CA roots, FROM
# scratch. No shell, no package manager, no libc; a numeric non-root user; no HEALTHCHECK
# (orchestrators probe GET /readyz, and GET /healthz for liveness).
#
# Build it with `cargo xtask image`, not with `docker build .` at the repository root. xtask
# first builds the static binary,
#   cargo build --profile server --target x86_64-unknown-linux-musl -p referrer-dashboard-server
# (rustls with ring and the bundled SQLite: musl-gcc compiles their C), then copies this file,
# the binary, Mozilla's CA roots as Debian ships them (not the build machine's own additions)
# and an empty data/ folder into target/image/context/ and builds there: nothing else of the
# repository reaches the engine, and no base image is pulled.
#
# The image is the backend only: the session endpoint, the webhook, /healthz, /readyz and
# /metrics. The widget's files come from your site or CDN (or mount `cargo xtask dist`'s
# target/dist/cdn/ and set DASHBOARD_CDN_DIR). See www/docs/production.html, "Container image".
FROM scratch

COPY referrer-dashboard-server /referrer-dashboard-server
# The upstream client (reqwest) and rediss:// check certificates against the system's roots.
# Without them the server does not start (its HTTP client is refused, in sandbox mode too).
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
# The only writable place: the SQLite file (the default DASHBOARD_DB, referrer-dashboard.sqlite3,
# is relative to the working directory: /data/referrer-dashboard.sqlite3) and SQLite's
# temporary files. Owned by the user below, so a volume mounted here starts writable for it.
# Not ENV DASHBOARD_DB: sandbox mode keeps its mapping in memory unless told otherwise, and
# should here too. With DASHBOARD_DB=postgres://... nothing is written.
COPY --chown=65532:65532 data /data

# Inside a container the server must listen on every interface of the container's own network
# (the default, 127.0.0.1, would be unreachable from outside it).
ENV BIND=0.0.0.0 \
    PORT=8080 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /data
VOLUME /data
EXPOSE 8080
# Numeric, as scratch has no /etc/passwd: uid and gid 65532 (distroless's "nonroot").
USER 65532:65532
ENTRYPOINT ["/referrer-dashboard-server"]
