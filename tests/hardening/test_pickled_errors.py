"""Every project exception survives a pickle round trip with its message and fields, so that a fault inside a
process-pool or Dask worker reaches the user as itself (it used to arrive as BrokenProcessPool)."""
from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import time

import pytest

from isa.errors import EmulatorFault

PACKAGES = ("isa", "toolchain", "quant", "codegen", "intgap")
# Constructor arguments of the classes whose __init__ takes more than a message.
CUSTOM_ARGS = {
    "isa.errors.EmulatorFault": (("invalid memory read", 0x1234, "ig_fc_s8+0x10", "address 0x0"), {}),
    "isa.errors._Located": (("stopped",), {"pc": 0x80, "where": "main+0x4", "instruction": "b 0x80"}),
    "isa.errors.InstructionBudgetExceeded": (("over budget",), {"pc": 0x80, "where": "main+0x4",
                                                                "instruction": "b 0x80"}),
    "isa.errors.RunTimeout": (("timed out",), {"pc": None, "where": "", "instruction": ""}),
    "isa.npu.descriptor.NpuFault": ((2, "weights at 0x10 lie outside memory; fix the descriptor", 0x10), {}),
}


def _project_exceptions() -> dict[str, type]:
    found = {}
    for pkg in PACKAGES:
        root = importlib.import_module(pkg)
        for info in pkgutil.walk_packages(root.__path__, pkg + "."):
            mod = importlib.import_module(info.name)
            for obj in vars(mod).values():
                if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__.split(".")[0] in PACKAGES:
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _takes_more_than_a_message(cls: type) -> bool:
    return any("__init__" in vars(c) for c in cls.__mro__ if c.__module__.split(".")[0] in PACKAGES)


def test_every_project_exception_pickles_with_its_message_and_fields():
    classes = _project_exceptions()
    assert len(classes) >= 20 and "toolchain.errors.CompilerUnusable" in classes
    custom = {k for k, c in classes.items() if _takes_more_than_a_message(c)}
    assert custom == set(CUSTOM_ARGS), "a new exception with its own __init__: add its arguments to CUSTOM_ARGS"
    for name, cls in classes.items():
        args, kwargs = CUSTOM_ARGS.get(name, ((f"{name}: the cause; the fix",), {}))
        e = cls(*args, **kwargs)
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is cls and str(back) == str(e), name
        assert vars(back) == vars(e), name


class Spec:
    def __init__(self, label: str):
        self.label = label


def faulting_run(spec: Spec) -> str:
    """A sweep run in a worker process: 'fault' faults after the other run has finished."""
    if spec.label == "fault":
        time.sleep(1.0)
        raise EmulatorFault("invalid memory write", 0x10074, "ig_fc_s8+0x24", "address 0x7ffffff0")
    return f"{spec.label} done"


def test_a_fault_in_a_pool_worker_reaches_the_user_as_itself():
    from intgap.runner import in_pool
    specs = [Spec("first"), Spec("fault")]
    results = {}
    with pytest.raises(EmulatorFault) as info:
        for i, r in in_pool(faulting_run, specs, [0, 1], 2):
            results[i] = r
    assert str(info.value) == ("program fault: invalid memory write at pc=0x10074 in ig_fc_s8+0x24: "
                               "address 0x7ffffff0")
    assert info.value.pc == 0x10074 and info.value.where == "ig_fc_s8+0x24"
    assert results == {0: "first done"}  # the finished run is kept
