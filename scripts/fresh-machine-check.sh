#!/usr/bin/env bash
# Checks the README's two commands on a fresh Debian machine of either release without a second machine:
# debootstraps a bare root (bookworm or trixie) from this machine's own apt mirror configuration, copies in the
# machine's pip configuration and CA bundle (so pip reaches PyPI as a user's pip would here), clones the committed
# HEAD into it, and runs `make demo` then `make test` there as root, as a new user would. Records the times, the
# tool versions and the first failure in benchmarks/results/fresh_machine.md. A benchmark, not part of `make test`:
# it takes 30-60 minutes per release and needs root and debootstrap (apt-get install debootstrap).
# Usage: scripts/fresh-machine-check.sh bookworm|trixie   (roots under $INTGAP_CHROOTS, default /work/chroots)
set -euo pipefail

release="${1:-}"
case "$release" in
  bookworm|trixie) ;;
  *) echo "usage: $0 bookworm|trixie" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "fresh-machine-check: install debootstrap first (apt-get install debootstrap)" >&2; exit 2; }

repo="$(cd "$(dirname "$0")/.." && pwd)"
chroots="${INTGAP_CHROOTS:-/work/chroots}"
base="$chroots/$release-base"
root="$chroots/$release-fresh"
results="$repo/benchmarks/results/fresh_machine.md"
logs="$chroots/logs"  # full logs stay on the machine; the results file quotes the failures
commit="$(git -C "$repo" rev-parse HEAD)"
mkdir -p "$chroots" "$logs"

# The mirror: the first URI of this machine's Debian sources that serves its main suite (never written here).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk '/^URIs:/ {u=$2} /^Suites:/ {for (i=2; i<=NF; i++) if ($i !~ /-/) {print u; exit}}' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $3 !~ /-/ {print $2; exit}' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || { echo "fresh-machine-check: no Debian mirror in this machine's apt sources" >&2; exit 2; }

unmount_all() {
  local m
  for m in dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
  done
  return 0
}
trap unmount_all EXIT

# A pristine base root, made once per release (minbase: what debootstrap installs, plus nothing).
if [ ! -f "$base/.intgap-base-complete" ]; then
  rm -rf "$base"
  echo "fresh-machine-check: debootstrap $release"
  debootstrap --variant=minbase "$release" "$base" "$mirror" > "$logs/$release-debootstrap.log" 2>&1
  touch "$base/.intgap-base-complete"
fi
unmount_all
rm -rf "$root"
cp -a "$base" "$root"
rm -f "$root/.intgap-base-complete"

# The machine's network set-up as a user's machine has it: name resolution, pip configuration, CA bundle.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
copy_in() { [ -e "$1" ] && mkdir -p "$root$(dirname "$1")" && cp -L "$1" "$root$1"; return 0; }
for f in /etc/pip.conf /etc/xdg/pip/pip.conf "$HOME/.pip/pip.conf" "$HOME/.config/pip/pip.conf"; do copy_in "$f"; done
for f in /etc/pip.conf /etc/xdg/pip/pip.conf "$HOME/.config/pip/pip.conf"; do  # files the configuration names
  [ -f "$f" ] || continue
  for g in $(sed -nE 's/^[[:space:]]*(cert|constraint|client-cert)[[:space:]]*=[[:space:]]*//p' "$f"); do copy_in "$g"; done
done
copy_in /etc/ssl/certs/ca-certificates.crt

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

git clone -q --no-hardlinks "$repo" "$root/root/intgap"
git -C "$root/root/intgap" checkout -q "$commit"

# Inside the root: a clean environment, as a login shell of a new user would have.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}
declare -A secs status
step() {  # name, command: runs it in the root, logs it, records time and exit status
  local t0=$SECONDS rc=0
  echo "fresh-machine-check: $release: $1"
  in_root "$2" > "$logs/$release-$1.log" 2>&1 || rc=$?
  secs[$1]=$((SECONDS - t0)); status[$1]=$rc
  return 0
}
# The README's prerequisite (a bare Debian has neither make nor git), then its two commands.
step prerequisites "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make git ca-certificates"
copy_in /etc/ssl/certs/ca-certificates.crt  # ca-certificates may have rebuilt the bundle
step demo "cd /root/intgap && make demo"
step test "cd /root/intgap && make test"

versions="$(in_root 'cd /root/intgap; for c in "python3 --version" "gcc --version" "aarch64-linux-gnu-gcc --version" \
  "arm-none-eabi-gcc --version" "riscv64-unknown-elf-gcc --version" "/usr/bin/clang-[0-9]* --version" \
  ".deps/qemu/*/bin/qemu-riscv64 --version" ".deps/qemu/*/bin/qemu-system-arm --version"; do set -- $c; command -v $1 >/dev/null || continue; \
  echo "- \`$c\`: $($c 2>&1 | head -n1)"; done; [ -x .venv/bin/intgap ] && .venv/bin/intgap doctor --json \
  > /root/doctor.json 2>/dev/null; [ -x .venv/bin/python ] && echo "- torch in the venv: $(.venv/bin/python -c \
  "import torch; print(torch.__version__)" 2>&1 | tail -n1), venv $(du -sh .venv | cut -f1)"' 2>&1 || true)"
[ -f "$root/root/doctor.json" ] && cp "$root/root/doctor.json" "$logs/$release-doctor.json"

first_failure() {  # the first line of a log that says what went wrong
  grep -m1 -E '^(E: |FAILED|ERROR|Error|error:|intgap: error|make: \*\*\*)|Traceback|[A-Za-z]+Error: ' "$1" 2>/dev/null \
    || tail -n1 "$1"
}
fmt() { printf '%d min %02d s' $(($1 / 60)) $(($1 % 60)); }
section="$(
  echo "<!-- release:$release -->"
  echo "## Debian $([ "$release" = bookworm ] && echo 12 || echo 13) ($release)"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit \`${commit:0:12}\`, fresh debootstrap root (minbase) on $(nproc) shared cores of $(hostname -s 2>/dev/null || echo this machine);"
  echo "\`scripts/fresh-machine-check.sh $release\` (full logs on that machine: \`$logs/$release-*.log\`)."
  echo
  echo "| step | command | time | result |"
  echo "|---|---|---:|---|"
  for s in prerequisites demo test; do
    case $s in prerequisites) c="apt-get install make git ca-certificates" ;; *) c="make $s" ;; esac
    if [ "${status[$s]}" -eq 0 ]; then r="passed"; else r="**failed** (exit ${status[$s]}): \`$(first_failure "$logs/$release-$s.log" | cut -c1-200 | tr '|`' '/'"'")\`"; fi
    echo "| $s | \`$c\` | $(fmt "${secs[$s]}") | $r |"
  done
  summary="$(grep -E '[0-9]+ (passed|failed)' "$logs/$release-test.log" 2>/dev/null | tail -n1)"
  [ -n "$summary" ] && echo && echo "make test: $summary"
  for s in demo test; do
    [ "${status[$s]}" -eq 0 ] && continue
    echo; echo "Last lines of \`make $s\`:"; echo; echo '```'
    grep -v -E '^WARNING: Location' "$logs/$release-$s.log" | tail -n 12 | cut -c1-160; echo '```'
  done
  echo
  if [ -s "$logs/$release-doctor.json" ]; then
    echo "\`intgap doctor --json\` in the root: $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]));
print("ok" if d["ok"] else "missing for make demo: " + ", ".join(d["missing_required"]))' "$logs/$release-doctor.json")"
    echo
  fi
  echo "Tool versions in the root after the run:"
  echo
  echo "$versions"
  echo "<!-- /release:$release -->"
)"
[ -f "$results" ] || printf '# Fresh-machine check\n\nThe README'"'"'s two commands in a fresh Debian root of each release (scripts/fresh-machine-check.sh).\n' > "$results"
python3 - "$results" "$release" "$section" <<'EOF'
import re, sys
path, release, section = sys.argv[1:]
text = open(path).read()
block = re.compile(rf"<!-- release:{release} -->.*?<!-- /release:{release} -->", re.S)
text = block.sub(lambda m: section, text) if block.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
EOF
echo "fresh-machine-check: $release: demo ${status[demo]}, test ${status[test]}; see $results"
