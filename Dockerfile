# Build and runtime image of ruralsync and its simulator, for docker-compose.yml.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --workspace --bins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/ruralsync /src/target/release/ruralsync-sim /usr/local/bin/
COPY config/ /etc/ruralsync/
USER nobody
ENTRYPOINT ["ruralsync"]
CMD ["run", "--config", "/etc/ruralsync/docker.toml"]
