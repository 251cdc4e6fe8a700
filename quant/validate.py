"""Only for quant/hf_capture.py's import, which another branch edits: validation lives in quant/ops/checks.py."""
from quant.ops.checks import validate  # noqa: F401
