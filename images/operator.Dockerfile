# The parliament-operator image: one static binary on an empty base. Nothing is pulled
# from a registry (`scratch` is not an image, it is "no base"), so this builds offline.
#
# The build context is the directory that holds the static (musl) binary:
#   cargo build --release --locked -p parliament-operator --target x86_64-unknown-linux-musl
#   docker build -f images/operator.Dockerfile -t parliament-operator:0.1.0 \
#     target/x86_64-unknown-linux-musl/release
# See docs/images.md.
FROM scratch
# The binary's path inside the build context; override for a binary built elsewhere.
ARG BINARY=parliament-operator
COPY ${BINARY} /parliament-operator
# The chart's pod securityContext runs as this user too (runAsNonRoot).
USER 65532:65532
ENTRYPOINT ["/parliament-operator"]
