#!/usr/bin/env bash
# Installs the Debian packages intgap needs (cross compilers, clang / lld / llvm, QEMU) and fetches
# qemu-plugin.h for the project's own TCG counting plugin. Debian 12 and 13 are supported (docs/platform.md);
# the release comes from /etc/os-release. Idempotent: does nothing when all is present.
# `--list` prints the packages of this release and installs nothing.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
deps="${INTGAP_DEPS_DIR:-$here/.deps}"
os_release="${INTGAP_OS_RELEASE:-/etc/os-release}"  # another file only for the tests

# Each release's clang / lld / llvm (toolchain/compilers.py finds any clang-N of 16..22 by its version):
# Debian 12's newest is 16; Debian 13's default is 19.
release_id="$(. "$os_release" && echo "${ID:-}")"
release="$(. "$os_release" && echo "${VERSION_ID:-}")"
case "$release_id:$release" in
  debian:12) llvm=16 ;;
  debian:13) llvm=19 ;;
  *)
    name="$(. "$os_release" && echo "${PRETTY_NAME:-$release_id $release}")"
    echo "setup: $name is not supported: intgap sets itself up on Debian 12 (bookworm) and Debian 13 (trixie)." >&2
    echo "setup: on another system install the tools by hand (docs/platform.md lists them) and check them with" \
         "\`.venv/bin/intgap doctor\`; or run intgap in a Debian 12 or 13 container or root." >&2
    exit 3 ;;
esac

packages=(
  build-essential python3 python3-venv
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  "clang-$llvm" "lld-$llvm" "llvm-$llvm"
  qemu-user qemu-system-arm qemu-system-misc
  xz-utils ca-certificates procps
)
if [ "${1:-}" = --list ]; then printf '%s\n' "${packages[@]}"; exit 0; fi  # the release's packages, nothing installed

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# qemu-plugin.h: no bookworm binary package ships it; the qemu source package does.
# Build a private deb-src list from the machine's own apt sources, so no host is written here.
header="$deps/include/qemu-plugin.h"
if [ ! -s "$header" ]; then
  echo "setup: fetching qemu-plugin.h from Debian's qemu source package"
  work="$deps/qemu-src"
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$deps/include"
  srclist="$work/deb-src.sources"
  : > "$srclist"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -E 's/^Types:.*/Types: deb-src/' "$f" >> "$srclist"
    echo >> "$srclist"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed -E 's/^deb /deb-src /' > "$work/deb-src.list" || true
  fi
  opts=(-o Dir::Etc::SourceParts="$work" -o Dir::Etc::SourceList=/dev/null
        -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives"
        -o APT::Sandbox::User=root)
  [ -s "$work/deb-src.list" ] && opts[3]="Dir::Etc::SourceList=$work/deb-src.list"
  apt-get "${opts[@]}" update -qq
  version="$(dpkg-query -W -f='${Version}' qemu-user | sed -E 's/\+b[0-9]+$//')"  # binNMU suffix is not a source version
  (cd "$work" && apt-get "${opts[@]}" source --download-only -qq "qemu=$version" \
     || apt-get "${opts[@]}" source --download-only -qq qemu)
  tarball="$(ls "$work"/qemu_*.orig.tar.* | head -n1)"
  tar -xf "$tarball" -C "$work" --wildcards '*/include/qemu/qemu-plugin.h'
  cp "$(find "$work" -name qemu-plugin.h -path '*include/qemu/*' | head -n1)" "$header"
  rm -rf "$work"
fi
echo "setup: system packages and qemu-plugin.h present"
