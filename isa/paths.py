"""Where intgap keeps built native helpers and fetched build dependencies."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Build products that can be made again (native hooks, ELF builds): INTGAP_CACHE or <project>/.cache."""
    d = Path(os.environ.get("INTGAP_CACHE", PROJECT_ROOT / ".cache"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def deps_dir() -> Path:
    """What `scripts/setup-system.sh` fetched (qemu-plugin.h): INTGAP_DEPS_DIR or <project>/.deps."""
    return Path(os.environ.get("INTGAP_DEPS_DIR", PROJECT_ROOT / ".deps"))
