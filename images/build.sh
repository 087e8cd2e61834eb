#!/usr/bin/env bash
# Builds the sidecar or operator image from a binary built on this machine, with nothing
# pulled from a registry: the image is `FROM scratch` plus a root filesystem staged here.
#
#   images/build.sh sidecar  [--binary FILE] [--tag TAG]
#   images/build.sh operator [--binary FILE] [--tag TAG]
#
# Without --binary the package is built with `cargo build --release --locked`. A static
# binary (musl) is staged alone. A dynamically linked one (the default glibc build) is
# staged with exactly the shared libraries `ldd` resolves for it, its loader, and an
# /etc/nsswitch.conf: glibc >= 2.34 carries the `files` and `dns` resolvers in libc.so.6,
# so the member resolves its peers' pod DNS names from the /etc/hosts and /etc/resolv.conf
# that the kubelet (or Docker) mounts. docs/images.md says why this is the default.
#
# Prints the image tag on the last line of standard output.
set -euo pipefail

usage() {
  echo "usage: $0 sidecar|operator [--binary FILE] [--tag TAG]" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
kind=$1
shift
case "$kind" in
  sidecar) package=parliament binary_name=parliament ;;
  operator) package=parliament-operator binary_name=parliament-operator ;;
  *) usage ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
binary=""
tag="$package:$version"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) [[ $# -ge 2 ]] || usage; binary=$2; shift 2 ;;
    --tag) [[ $# -ge 2 ]] || usage; tag=$2; shift 2 ;;
    *) usage ;;
  esac
done

if [[ -z "$binary" ]]; then
  (cd "$root" && cargo build --release --locked -p "$package" >&2)
  binary="${CARGO_TARGET_DIR:-$root/target}/release/$binary_name"
fi
[[ -x "$binary" ]] || { echo "$0: $binary is not an executable file" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
rootfs="$stage/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
# Debug info is most of a dev build's size; symbols stay for backtraces.
if command -v strip >/dev/null; then
  strip --strip-debug -o "$rootfs/usr/local/bin/$binary_name" "$binary"
else
  cp "$binary" "$rootfs/usr/local/bin/$binary_name"
fi

# `ldd` prints "name => /path (addr)" per library and "/path (addr)" for the loader;
# a static binary makes it print "not a dynamic executable" (or "statically linked").
if libraries=$(ldd "$binary" 2>/dev/null) && ! grep -q "statically linked" <<<"$libraries"; then
  if grep -q "not found" <<<"$libraries"; then
    echo "$0: $binary needs libraries this machine lacks:" >&2
    grep "not found" <<<"$libraries" >&2
    exit 1
  fi
  while read -r library; do
    mkdir -p "$rootfs$(dirname "$library")"
    cp -L "$library" "$rootfs$library"
  done < <(grep -o '/[^ ]*' <<<"$libraries" | sort -u)
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
fi
# Trust roots, as distroless images ship them: kube's client builds its TLS verifier from
# the system store whenever the kubeconfig names no CA, and fails when the store is empty.
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  mkdir -p "$rootfs/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/:/sbin/nologin\n' \
  >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"

cp "$root/images/$kind.Dockerfile" "$stage/Dockerfile"
# The legacy builder needs no BuildKit component; it is what Docker 20.10 ships.
DOCKER_BUILDKIT=0 docker build --quiet -t "$tag" "$stage" >&2
echo "$tag"
