# Dockerfile: builds kengine from this repo on Debian 12 and runs a Lua
# workload script (lua/seed.lua by default) against the brokers named in
# KENGINE_BROKERS; docker-compose.yaml pairs it with a real Kafka.
FROM debian:12-slim

# The build packages of scripts/deps.sh build, nothing from the test ones:
# -DBUILD_TESTING=OFF configures kengine alone.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config librdkafka-dev liblua5.4-dev \
        libcsv-dev libxxhash-dev libjemalloc-dev libroaring-dev \
        libmicrohttpd-dev libsnappy-dev libcurl4-openssl-dev libavro-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)" --target kengine

ENTRYPOINT ["build/kengine"]
CMD ["lua/seed.lua"]
