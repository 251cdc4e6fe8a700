#!/usr/bin/env bash
# Installs the Debian packages intgap needs (cross compilers, clang / lld / llvm), then builds intgap's QEMU with
# TCG plugins (scripts/setup-qemu.sh). Debian 12 and 13 are supported (docs/platform.md); the release comes from
# /etc/os-release. Idempotent: does nothing when all is present.
# `--list` prints the packages of this release and installs nothing.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
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
  cmake
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

# QEMU with TCG plugins (and its qemu-plugin.h), built once from Debian's source package: see the script.
bash "$here/scripts/setup-qemu.sh"
echo "setup: system packages and intgap's QEMU present"
