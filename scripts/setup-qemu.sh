#!/usr/bin/env bash
# Builds the one QEMU intgap runs (user mode for AArch64 / RV64 / RV32, qemu-system-arm for the Cortex-M boards),
# with TCG plugins, from Debian 13's own `qemu` source package, into .deps/qemu/<version>/. The same version on
# Debian 12 and 13 (why: docs/platform-qemu.md). Idempotent: a complete build (its stamp file) is left alone.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
deps="${INTGAP_DEPS_DIR:-$here/.deps}"
# The source version wanted; if the archive no longer offers it, the newest trixie `qemu` is taken instead.
want="${INTGAP_QEMU_SOURCE_VERSION:-1:10.0.13+ds-0+deb13u1}"
source_suite=trixie
targets="aarch64-linux-user,riscv64-linux-user,riscv32-linux-user,arm-softmmu"
# qemu-system-arm only for the Cortex-M boards intgap runs: MPS2 (an386 M4, an500 M7, an505 M33), MPS3 (an547 M55),
# micro:bit (M0); every other board and its devices stay out of the build. The MPS3 boards create a PL031 RTC that
# CONFIG_MPS2 does not select: without it mps3-an547 stops with "unknown type 'pl031'".
devices="CONFIG_MPS2=y CONFIG_MICROBIT=y CONFIG_PL031=y"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

complete() {  # $1 = install dir: every binary intgap runs is there and the stamp says the build finished
  [ -f "$1/intgap-qemu.stamp" ] && [ -s "$1/include/qemu-plugin.h" ] || return 1
  grep -qx "devices=$devices" "$1/intgap-qemu.stamp" || return 1  # built with today's board devices
  local b
  for b in qemu-aarch64 qemu-riscv64 qemu-riscv32 qemu-system-arm; do [ -x "$1/bin/$b" ] || return 1; done
}

for d in "$deps"/qemu/*/; do
  [ -d "$d" ] && complete "${d%/}" && { echo "setup: QEMU $(basename "$d") present in $d"; exit 0; }
done

# Build dependencies, as the build proved it needs them (libseccomp-dev: the -sandbox that keeps semihosting
# from starting host commands, see isa/qemu_backend.py).
build_deps=(build-essential dpkg-dev ninja-build pkg-config python3 python3-venv flex bison
            libglib2.0-dev libfdt-dev libpixman-1-dev libseccomp-dev zlib1g-dev xz-utils)
missing=()
for p in "${build_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing QEMU build dependencies: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# A private deb-src list for trixie, derived from the machine's own apt sources (same URIs; this release's
# codename in the suites replaced by trixie), so no repository host is written here and the system's apt
# configuration is untouched.
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
[ -n "$codename" ] || { echo "setup-qemu: /etc/os-release names no VERSION_CODENAME" >&2; exit 1; }
work="$deps/qemu-src"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts"
: > "$work/parts/trixie-src.sources"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed -E -e 's/^Types:.*/Types: deb-src/' -e "/^Suites:/s/\\b$codename\\b/$source_suite/g" "$f" \
    >> "$work/parts/trixie-src.sources"
  echo >> "$work/parts/trixie-src.sources"
done
srclist=/dev/null
if [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
  grep -E '^deb ' /etc/apt/sources.list | sed -E -e 's/^deb /deb-src /' -e "s/ $codename([- ])/ $source_suite\\1/" \
    > "$work/trixie-src.list"
  srclist="$work/trixie-src.list"
fi
opts=(-o Dir::Etc::SourceParts="$work/parts" -o Dir::Etc::SourceList="$srclist"
      -o Dir::State::Lists="$work/lists" -o Dir::Cache::Archives="$work/archives" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update -qq
if ! (cd "$work" && apt-get "${opts[@]}" source --download-only -qq "qemu=$want"); then
  echo "setup: qemu $want is no longer in $source_suite; taking its newest qemu source"
  (cd "$work" && apt-get "${opts[@]}" source --download-only -qq qemu)
fi
dsc="$(ls "$work"/qemu_*.dsc | head -n1)"
(cd "$work" && dpkg-source --no-check -x "$dsc" src >/dev/null)  # apt verified the .dsc against the signed Release
version="$(cat "$work/src/VERSION")"
prefix="$deps/qemu/$version"

# QEMU 10 needs meson >= 1.5 (bookworm has 1.0; Debian's +ds source drops the bundled wheel): one pinned meson
# in a private venv, the same on both releases.
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "meson==1.5.0"
printf '%s\n' $devices > "$work/src/configs/devices/arm-softmmu/intgap-mcu.mak"

echo "setup: building QEMU $version ($targets) with TCG plugins into $prefix (13 CPU-minutes; 23 min on a busy 2-core machine, see benchmarks/results/qemu_build.md)"
start=$(date +%s)
rm -rf "$prefix"
mkdir -p "$work/build"
cd "$work/build"
trap 'echo "setup-qemu: the QEMU build failed: see the logs in $work/build (configure.log, build.log)" >&2' ERR
../src/configure --prefix="$prefix" --target-list="$targets" --python="$work/venv/bin/python" \
  --enable-plugins --disable-docs --disable-tools --disable-werror --disable-download \
  --without-default-devices --with-devices-arm=intgap-mcu --disable-install-blobs --enable-seccomp > configure.log
ninja -j"$(nproc)" > build.log
ninja install > install.log
mkdir -p "$prefix/include"
cp ../src/include/qemu/qemu-plugin.h "$prefix/include/qemu-plugin.h"
secs=$(( $(date +%s) - start ))
{
  echo "version=$version"
  echo "source=qemu $(sed -n 's/^Version: //p' "$dsc") ($source_suite)"
  echo "targets=$targets"
  echo "devices=$devices"
  echo "build_seconds=$secs"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) cores"
} > "$prefix/intgap-qemu.stamp"
cd "$here"
rm -rf "$work"
echo "setup: QEMU $version built in $((secs / 60)) min $((secs % 60)) s"
