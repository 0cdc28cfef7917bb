# Dockerfile: builds kengine from this repo on Debian 12 and runs a Lua
# workload script (lua/seed.lua by default) against the brokers named in
# KENGINE_BROKERS; docker-compose.yaml pairs it with a real Kafka.
FROM debian:12-slim

# libcmocka-dev: CMakeLists.txt links the unit tests against it, and CMake
# refuses to generate the build without it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config librdkafka-dev liblua5.4-dev \
        libcsv-dev libxxhash-dev libjemalloc-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . /src
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release \
 && cmake --build build -j"$(nproc)"

ENTRYPOINT ["build/kengine"]
CMD ["lua/seed.lua"]
