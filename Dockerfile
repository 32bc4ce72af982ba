# Build and runtime image of ruralsync and its simulator, for docker-compose.yml.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --workspace --bins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/ruralsync /src/target/release/ruralsync-sim /usr/local/bin/
COPY config/ /etc/ruralsync/
USER nobody
# The admin server; docker-compose.yml checks /readyz with curl.
EXPOSE 9780
ENTRYPOINT ["ruralsync"]
CMD ["run", "--config", "/etc/ruralsync/docker.toml"]
