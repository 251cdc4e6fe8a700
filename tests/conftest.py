"""Under CI (INTGAP_CI=1, set by .ci/run) hypothesis runs derandomized: a submission lands on the examples it was
tested with, not on a fresh draw; locally every run draws new examples."""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("INTGAP_CI"):
    settings.load_profile("ci")
