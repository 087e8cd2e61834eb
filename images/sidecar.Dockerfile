# The parliament sidecar image: one static binary on an empty base, nothing pulled from a
# registry. Build the `parliament` package for the musl target (docs/images.md) and pass
# the directory holding the binary as the context. The chart runs `parliament run`, so
# the binary sits on PATH as /usr/local/bin/parliament.
#
#   cargo build --release --locked -p parliament --target x86_64-unknown-linux-musl
#   docker build -f images/sidecar.Dockerfile -t parliament:0.1.0 \
#     target/x86_64-unknown-linux-musl/release
# See docs/images.md.
FROM scratch
ARG BINARY=parliament
COPY ${BINARY} /usr/local/bin/parliament
ENV PATH=/usr/local/bin
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/parliament"]
CMD ["run"]
