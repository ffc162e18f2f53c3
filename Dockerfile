# Multi-stage build: compile in the Rust image, run in a slim Debian with only
# the shared libraries the binary links (libpq) and no toolchain.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Build the dependencies first so that a source change does not rebuild them.
COPY Cargo.toml Cargo.lock ./
# How the bundled SQLite is compiled (LIBSQLITE3_FLAGS).
COPY .cargo ./.cargo
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src
COPY src ./src
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/newsdesk --create-home newsdesk
COPY --from=build /src/target/release/newsdesk /usr/local/bin/newsdesk
USER newsdesk
WORKDIR /var/lib/newsdesk
# Configured by environment; on PostgreSQL set DATABASE_URL and NEWSDESK_JWT_SECRET.
ENV NEWSDESK_BIND=0.0.0.0:8080 \
    DATABASE_URL=sqlite:///var/lib/newsdesk/newsdesk.db \
    NEWSDESK_MEDIA_DIR=/var/lib/newsdesk/media \
    RUST_LOG=info
VOLUME ["/var/lib/newsdesk"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["newsdesk"]
CMD ["serve"]
