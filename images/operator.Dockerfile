# The parliament-operator image: a root filesystem staged by images/build.sh on an empty
# base, nothing pulled from a registry (`scratch` is "no base", not an image).
#
#   images/build.sh operator               # cargo build --release, then docker build
#
# The stage holds the binary at /usr/local/bin/parliament-operator and, for a dynamically
# linked build, the shared libraries it needs. See docs/images.md.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin
# The chart's pod securityContext runs as this user too (runAsNonRoot).
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/parliament-operator"]
