# A container with `indiv` on the PATH and Python 3 (the language of the
# example engine), for CI systems that run containers rather than GitHub
# Actions. Build:  docker build -t indiv .
# Certify an engine kept in the current directory:
#   docker run --rm -v "$PWD:/work" indiv certify --report indiv-report -- python3 my_engine.py
# An engine in another language: start a Dockerfile `FROM indiv` and install
# its runtime. See README.md, "Certify your engine in CI".
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p indiv-cli \
 && cp target/release/indiv /usr/local/bin/indiv

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/indiv /usr/local/bin/indiv
WORKDIR /work
ENTRYPOINT ["indiv"]
CMD ["certify"]
