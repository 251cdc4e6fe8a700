#!/usr/bin/env bash
# Installs the Debian packages intgap needs (cross compilers, clang-16), then builds intgap's QEMU with TCG
# plugins (scripts/setup-qemu.sh). Idempotent: does nothing when all is present.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"

packages=(
  build-essential python3 python3-venv
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  clang-16 lld-16 llvm-16
  qemu-user qemu-system-arm qemu-system-misc
  xz-utils ca-certificates
)

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
