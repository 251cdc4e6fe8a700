"""A program that tries to reach the host (create a host file, run a host command) is stopped before it does:
Unicorn emulates only console output and exit, so every other call is a fault naming it; under QEMU's system mode
(Cortex-M, where semihosting runs on the host) the counting plugin refuses the same calls, and QEMU's seccomp
sandbox stops a host command even without the plugin.
Each test checks that nothing appeared on the host."""
from __future__ import annotations

import struct

import pytest

import isa
from isa.errors import EmulatorFault

# one Linux-style target per architecture family, and the semihosting Cortex-M
LINUX = ("rv64gc", "cortex-a55", "rv32imc")


def _run(elfs, target: str, backend: str, which: int, text: str, count: bool = True):
    data = struct.pack("<4I", which, 0, 0, 0) + text.encode() + b"\0"
    return isa.run(elfs("uc_host.c", target), target, backend, inputs={".ig_input": data},
                   max_instructions=1_000_000 if count else None, timeout_s=30, count=count)


@pytest.mark.parametrize("target", LINUX)
def test_unicorn_refuses_to_create_a_host_file(elfs, tmp_path, target):
    victim = tmp_path / "created-by-the-guest.txt"
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, target, "unicorn", 1, str(victim))
    assert e.value.kind == "unsupported system call" and "system call 56 (openat)" in e.value.detail
    assert e.value.where.startswith("uc_host_create+")
    assert not victim.exists()


@pytest.mark.parametrize("target", LINUX)
def test_unicorn_refuses_to_run_a_host_command(elfs, tmp_path, target):
    marker = tmp_path / "the-command-ran"
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, target, "unicorn", 2, f"touch {marker}")
    assert e.value.kind == "unsupported system call" and "system call 221 (execve)" in e.value.detail
    assert not marker.exists()


def test_unicorn_refuses_semihosting_file_and_command_calls(elfs, tmp_path):
    victim, marker = tmp_path / "created-by-the-guest.txt", tmp_path / "the-command-ran"
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, "cortex-m4", "unicorn", 1, str(victim))
    assert e.value.kind == "unsupported semihosting call" and f"SYS_OPEN of '{victim}'" in e.value.detail
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, "cortex-m4", "unicorn", 2, f"touch {marker}")
    assert e.value.kind == "unsupported semihosting call" and "0x12 (SYS_SYSTEM)" in e.value.detail
    assert not victim.exists() and not marker.exists()


@pytest.mark.parametrize("target", ("cortex-m4", "cortex-m7"))
def test_qemu_refuses_semihosting_file_and_command_calls(elfs, tmp_path, target):
    """A counted QEMU run has the plugin's semihosting guard: it stops the run before any call other than the
    console's reaches the host, with the Unicorn backend's error (the operation, the pc of the bkpt)."""
    victim, marker = tmp_path / "created-by-the-guest.txt", tmp_path / "the-command-ran"
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, target, "qemu", 1, str(victim))
    assert e.value.kind == "unsupported semihosting call" and "operation 0x01 (SYS_OPEN)" in e.value.detail
    assert e.value.pc is not None and "bkpt" in e.value.detail
    with pytest.raises(EmulatorFault) as e:
        _run(elfs, target, "qemu", 2, f"touch {marker}")
    assert e.value.kind == "unsupported semihosting call" and "operation 0x12 (SYS_SYSTEM)" in e.value.detail
    assert not victim.exists() and not marker.exists()
    r = _run(elfs, target, "qemu", 0, "")  # the console calls pass
    assert (r.exit_code, r.stdout) == (0, b"00000000\n") and r.instructions > 0


@pytest.mark.parametrize("target", ("cortex-m4", "cortex-m7"))
def test_qemu_sandbox_stops_a_semihosting_host_command(elfs, tmp_path, target):
    """Without counting there is no plugin, so no guard: QEMU still runs under its seccomp sandbox (spawn=deny),
    which refuses the process a SYS_SYSTEM would start. QEMU 10 answers the spawn's clone with EPERM (QEMU 7.2
    killed itself with SIGSYS), so the command never runs and the program gets a failure status back (glibc's
    system(): 127 << 8 on this machine)."""
    from isa.qemu_backend import _has_sandbox, find_qemu
    if not _has_sandbox(find_qemu(isa.get_target(target))):
        pytest.skip("this qemu-system-arm has no seccomp sandbox")
    marker = tmp_path / "the-command-ran"
    r = _run(elfs, target, "qemu", 2, f"touch {marker}", count=False)
    status = int.from_bytes(bytes.fromhex(r.stdout.decode().strip()), "little", signed=True)
    assert r.exit_code == 0 and status != 0
    assert not marker.exists()
    # the sandbox does not disturb a normal run: the same ELF without a host call runs and exits
    r = _run(elfs, target, "qemu", 0, "", count=False)
    assert (r.exit_code, r.stdout) == (0, b"00000000\n")
