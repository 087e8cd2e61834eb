# The parliament sidecar image: one static binary on an empty base, nothing pulled from a
# registry. The `parliament` binary is issue #5 work in progress; until it exists, build
# this image from a prebuilt static binary passed as BINARY. The chart runs
# `parliament run`, so the binary sits on PATH as /usr/local/bin/parliament.
#
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
