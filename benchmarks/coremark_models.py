"""Whole-program check of the timing models: EEMBC CoreMark built by the project's toolchain, run under the
project's emulators, its estimated cycles per iteration turned into CoreMark/MHz and set beside the scores
published for real silicon.

Run: `.venv/bin/python benchmarks/coremark_models.py --coremark <path to a CoreMark checkout>
[--targets a,b] [--iters N]`
CoreMark's source is not part of intgap: fetch it yourself (github.com/eembc/coremark) and pass its path.
This script writes only its own port layer (core_portme.h/.c and a small ee_printf) into the build directory.
Results: benchmarks/results/coremark_models.{json,md}; rows of other model versions already in the JSON are
kept, so a model change shows its before and after side by side.

Method: the performance run (seeds 0, 0, 0x66; 2000 bytes of data) is built with N and 2N iterations. The
difference of the two runs' estimated cycles, divided by N, is the cycles of one iteration without start-up
and reporting; CoreMark/MHz = 1e6 / (cycles per iteration). Each run's printed CRCs are checked against
CoreMark's known performance-run values (crclist 0xe714, crcmatrix 0x1fd7, crcstate 0x8e3a, seedcrc 0xe9f5).
The port's clock reads 0, so CoreMark itself prints its "must execute for at least 10 secs" error: timing
comes from the model, not from the program.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import isa  # noqa: E402
from isa.timing import estimate  # noqa: E402
from toolchain import build_elf  # noqa: E402
from toolchain.compilers import find_compiler  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
DEFAULT_TARGETS = "cortex-m4,cortex-m7,rv64gc,rv64gcv"
CORE_FILES = ("core_list_join.c", "core_main.c", "core_matrix.c", "core_state.c", "core_util.c")
EXPECTED_CRCS = {"crclist": "0xe714", "crcmatrix": "0x1fd7", "crcstate": "0x8e3a", "seedcrc": "0xe9f5"}

# Published CoreMark/MHz of real silicon, per timing model (the figure the model's per-MHz result is set beside).
PUBLISHED = {
    "cortex-m4": (3.40, "Arm's published Cortex-M4 figure (3.40 CoreMark/MHz; Arm Cortex-M product pages, as "
                        "reproduced e.g. in 'ARM-Based Microcontroller Projects Using MBED', Table 3.2)"),
    "cortex-m7": (5.01, "Arm's published Cortex-M7 figure (5.01 CoreMark/MHz; same sources as the M4's)"),
    "rv64gc": (None, "no vendor CoreMark/MHz for the U74 was found in this session's sources; see "
                     "docs/timing-models.md"),
    "rv64gcv": (None, "the project's own RVV core: no silicon"),
}

PORTME_H = r"""/* intgap's CoreMark port: bare metal / Linux user mode through the project's platform layer. */
#ifndef CORE_PORTME_H
#define CORE_PORTME_H
#include <stddef.h>
#include <stdint.h>
#define HAS_FLOAT 0
#define HAS_TIME_H 0
#define USE_CLOCK 0
#define HAS_STDIO 0
#define HAS_PRINTF 0
#ifndef COMPILER_VERSION
#define COMPILER_VERSION "unknown"
#endif
#ifndef COMPILER_FLAGS
#define COMPILER_FLAGS "unknown"
#endif
#define MEM_LOCATION "STACK"
typedef int16_t ee_s16;
typedef uint16_t ee_u16;
typedef int32_t ee_s32;
typedef uint8_t ee_u8;
typedef uint32_t ee_u32;
typedef uintptr_t ee_ptr_int;
typedef size_t ee_size_t;
#define align_mem(x) (void *)(4 + (((ee_ptr_int)(x) - 1) & ~3))
#define CORETIMETYPE ee_u32
typedef ee_u32 CORE_TICKS;
#define SEED_METHOD SEED_VOLATILE
#define MEM_METHOD MEM_STACK
#define MULTITHREAD 1
#define USE_PTHREAD 0
#define USE_FORK 0
#define USE_SOCKET 0
#define MAIN_HAS_NOARGC 1
#define MAIN_HAS_NORETURN 0
extern ee_u32 default_num_contexts;
typedef struct CORE_PORTABLE_S { ee_u8 portable_id; } core_portable;
void portable_init(core_portable *p, int *argc, char *argv[]);
void portable_fini(core_portable *p);
#define PERFORMANCE_RUN 1
int ee_printf(const char *fmt, ...);
#endif
"""

PORTME_C = r"""/* intgap's CoreMark port: seeds of the performance run, a clock that reads 0 (the timing model measures),
 * output through ig_sys_write. */
#include "coremark.h"
#include "ig_platform.h"
volatile ee_s32 seed1_volatile = 0x0;
volatile ee_s32 seed2_volatile = 0x0;
volatile ee_s32 seed3_volatile = 0x66;
volatile ee_s32 seed4_volatile = ITERATIONS;
volatile ee_s32 seed5_volatile = 0;
ee_u32 default_num_contexts = 1;
static CORE_TICKS start_ticks, stop_ticks;
void start_time(void) { start_ticks = 0; }
void stop_time(void) { stop_ticks = 0; }
CORE_TICKS get_time(void) { return stop_ticks - start_ticks; }
secs_ret time_in_secs(CORE_TICKS ticks) { return (secs_ret)ticks; }
void portable_init(core_portable *p, int *argc, char *argv[]) { (void)argc; (void)argv; p->portable_id = 1; }
void portable_fini(core_portable *p) { p->portable_id = 0; }
"""

PRINTF_C = r"""/* A small ee_printf for CoreMark's report: %d %u %x (with 0-padded width), %s, %c, the l modifier. */
#include <stdarg.h>
#include "ig_platform.h"
static void out_num(unsigned long v, int neg, unsigned base, int width, char pad) {
  char buf[24];
  int n = 0;
  do { buf[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  if (neg) buf[n++] = '-';
  while (n < width && n < (int)sizeof buf) buf[n++] = pad;
  char rev[24];
  for (int i = 0; i < n; i++) rev[i] = buf[n - 1 - i];
  ig_sys_write(rev, (size_t)n);
}
int ee_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') { ig_sys_write(p, 1); continue; }
    p++;
    char pad = ' ';
    int width = 0, is_long = 0;
    if (*p == '0') { pad = '0'; p++; }
    while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
    while (*p == 'l') { is_long = 1; p++; }
    if (*p == 'd') {
      long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
      out_num(v < 0 ? 0UL - (unsigned long)v : (unsigned long)v, v < 0, 10, width, pad);
    } else if (*p == 'u' || *p == 'x' || *p == 'X') {
      unsigned long v = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
      out_num(v, 0, *p == 'u' ? 10 : 16, width, pad);
    } else if (*p == 's') {
      ig_write_str(va_arg(ap, const char *));
    } else if (*p == 'c') {
      char c = (char)va_arg(ap, int);
      ig_sys_write(&c, 1);
    } else if (*p) {
      ig_sys_write(p, 1);
    } else {
      break;
    }
  }
  va_end(ap);
  return 0;
}
"""


def write_port(port_dir: Path) -> list[Path]:
    port_dir.mkdir(parents=True, exist_ok=True)
    files = {"core_portme.h": PORTME_H, "core_portme.c": PORTME_C, "ig_ee_printf.c": PRINTF_C}
    for name, text in files.items():
        (port_dir / name).write_text(text)
    return [port_dir / "core_portme.c", port_dir / "ig_ee_printf.c"]


def check_output(text: str, target: str, iters: int) -> None:
    """The run is CoreMark's performance run and computed what it should."""
    for key, want in EXPECTED_CRCS.items():
        m = re.search(rf"^(?:\[0\])?{key}\s*:\s*(0x[0-9a-f]+)", text, re.M)
        if not m or m.group(1) != want:
            raise SystemExit(f"CoreMark on {target} ({iters} iterations): {key} is "
                             f"{m.group(1) if m else 'missing'}, expected {want}:\n{text}")
    if re.search(r"ERROR! (list|matrix|state) crc", text):
        raise SystemExit(f"CoreMark on {target} reported a wrong CRC:\n{text}")


def measure(target: isa.Target, coremark: Path, iters: int, build_dir: Path) -> dict:
    port_dir = build_dir / "port"
    port = write_port(port_dir)
    cc = find_compiler(target)
    flags_note = " ".join([*cc.target_flags, "-O2 (project COMMON_CFLAGS)"])
    rows = {}
    for n in (iters, 2 * iters):
        elf = build_dir / f"coremark-{target.name}-{n}.elf"
        defines = (f"-DITERATIONS={n}", f'-DCOMPILER_FLAGS="{flags_note}"',
                   f'-DCOMPILER_VERSION="{cc.kind}"', "-Wno-unused-variable", "-Wno-unused-but-set-variable")
        build_elf([coremark / f for f in CORE_FILES] + port, target, elf, include_dirs=(coremark, port_dir),
                  extra_cflags=defines)
        res = isa.run(elf, target)
        text = res.stdout.decode(errors="replace")
        check_output(text, target.name, n)
        rows[n] = (res, estimate(res, elf, target))
    (ra, ea), (rb, eb) = rows[iters], rows[2 * iters]
    cyc = (eb.cycles - ea.cycles) / iters
    ins = (rb.instructions - ra.instructions) / iters
    published, source = PUBLISHED.get(target.timing_model, (None, ""))
    per_mhz = 1e6 / cyc
    return {
        "target": target.name, "model": eb.model, "backend": rb.backend, "compiler": _compiler_version(cc),
        "flags": flags_note, "iterations": [iters, 2 * iters],
        "instructions_per_iteration": round(ins, 1), "est_cycles_per_iteration": round(cyc, 1),
        "est_ipc": round(ins / cyc, 3), "est_coremark_per_mhz": round(per_mhz, 3),
        "published_coremark_per_mhz": published, "published_source": source,
        "model_vs_published": round(per_mhz / published - 1, 3) if published else None,
        "branch_cycles_per_iteration": round((eb.branch_cycles - ea.branch_cycles) / iters, 1),
        "mispredict_cycles_per_iteration": round((eb.mispredict_cycles - ea.mispredict_cycles) / iters, 1),
        "issue_cycles_per_iteration": round((eb.issue_cycles - ea.issue_cycles) / iters, 1),
        "timing_code": timing_digest(), "date": time.strftime("%Y-%m-%d"),
    }


def timing_digest() -> str:
    """Content hash of isa/timing/: tells apart rows of models whose label stayed while their code changed
    (the RVV model reuses the U74's scalar part)."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "isa" / "timing").glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:10]


def _compiler_version(cc) -> str:
    out = subprocess.run([cc.path, "--version"], capture_output=True, text=True, timeout=30).stdout
    return out.splitlines()[0] if out else cc.path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--coremark", type=Path, required=True, help="a checkout of github.com/eembc/coremark")
    ap.add_argument("--targets", default=DEFAULT_TARGETS)
    ap.add_argument("--iters", type=int, default=10)
    args = ap.parse_args()
    missing = [f for f in CORE_FILES + ("coremark.h",) if not (args.coremark / f).is_file()]
    if missing:
        raise SystemExit(f"{args.coremark} is not a CoreMark checkout (missing {', '.join(missing)}): pass the "
                         f"directory that holds core_main.c")
    build_dir = ROOT / ".cache" / "bench-coremark"
    rows = [measure(t, args.coremark.resolve(), args.iters, build_dir) for t in isa.parse_targets(args.targets)]
    command = f"benchmarks/coremark_models.py --coremark <coremark checkout> --targets {args.targets} " \
              f"--iters {args.iters}"
    path = OUT / "coremark_models.json"
    old = json.loads(path.read_text()) if path.exists() else {"rows": []}
    key = lambda r: (r["target"], r["model"], r.get("timing_code"))
    fresh = {key(r) for r in rows}
    kept = [r for r in old["rows"] if key(r) not in fresh]
    doc = {"command": command, "machine": platform.platform(), "python": platform.python_version(),
           "coremark_source": _coremark_revision(args.coremark),
           "note": "estimated cycles of a named model, not measured cycles; rows of earlier model versions "
                   "are kept for before/after",
           "rows": kept + rows}
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n")
    lines = [f"# CoreMark under the timing models (`{command}`)", "",
             f"Machine {doc['machine']}, Python {doc['python']}, CoreMark {doc['coremark_source']}. "
             "Estimated cycles per iteration = (cycles at 2N - cycles at N) / N; CoreMark/MHz = 1e6 / that. "
             "Every run's CRCs checked against CoreMark's performance-run values. "
             "model vs published: > 0 means the model is faster than the silicon figure. timing code: a "
             "content hash of isa/timing/ when the row was measured.", "",
             "| target | model | timing code | date | compiler | instr/iter | est. cycles/iter | est. IPC | branch + mispredict "
             "cycles/iter | est. CoreMark/MHz | published | model vs published |",
             "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(doc["rows"], key=lambda r: (r["target"], r["model"], r["date"])):
        pub = f"{r['published_coremark_per_mhz']:.2f}" if r["published_coremark_per_mhz"] else "-"
        err = f"{100 * r['model_vs_published']:+.1f} %" if r["model_vs_published"] is not None else "-"
        lines.append(f"| {r['target']} | {r['model']} | {r.get('timing_code', '-')} | {r['date']} | {r['compiler']} | "
                     f"{r['instructions_per_iteration']:,.0f} | {r['est_cycles_per_iteration']:,.0f} | "
                     f"{r['est_ipc']} | {r['branch_cycles_per_iteration']:,.0f} + "
                     f"{r['mispredict_cycles_per_iteration']:,.0f} | {r['est_coremark_per_mhz']:.2f} | {pub} | {err} |")
    lines += ["", "Published figures: " + "; ".join(f"{k}: {v[1]}" for k, v in PUBLISHED.items()) + "."]
    (OUT / "coremark_models.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _coremark_revision(path: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=30)
        return f"commit {out.stdout.strip()}" if out.returncode == 0 and out.stdout.strip() else str(path.name)
    except OSError:
        return str(path.name)


if __name__ == "__main__":
    sys.exit(main())
