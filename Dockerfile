# Builds myrt and runs its unit tests in a Debian 12 image.
# (Integration tests need a privileged host: run scripts/test.sh there.)
FROM debian:12
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build -j"$(nproc)"
# Only the tests that need no privileges: the rest need a root host (scripts/test.sh).
RUN cd build && ctest --output-on-failure -R '^spec\.'
CMD ["/src/build/runtime/myrt", "--help"]
