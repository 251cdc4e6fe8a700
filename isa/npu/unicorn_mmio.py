"""The NPU on the Unicorn backend: its registers as an MMIO region (uc.mmio_map) whose callbacks run the device.

A job the device refuses stops the run with an EmulatorFault "NPU fault" naming the field, the value and the fix
(the C driver would see STATUS = FAULT and ERROR; a run reports it at once instead). QEMU has no such device: the
NPU targets have no QEMU settings, so `--backend qemu` is refused before anything runs (docs/npu.md)."""
from __future__ import annotations

from isa.npu.config import npu_of
from isa.npu.cycles import dma_bandwidth
from isa.npu.descriptor import NpuFault
from isa.npu.device import NpuDevice


class _UcMemory:
    def __init__(self, mu, uc_error):
        self.mu, self.uc_error = mu, uc_error

    def read(self, addr: int, size: int) -> bytes:
        try:
            return bytes(self.mu.mem_read(addr, size))
        except self.uc_error:
            raise MemoryError(addr) from None

    def write(self, addr: int, data: bytes) -> None:
        try:
            self.mu.mem_write(addr, data)
        except self.uc_error:
            raise MemoryError(addr) from None


def attach_npu(mu, session, target, board=None) -> NpuDevice | None:
    """Maps the target's NPU (None for a target without one) into `mu`; faults stop the run through `session`
    (unicorn_backend._Session). `board`: the run's board, else the target's default board (its DMA bandwidth)."""
    cfg = npu_of(target)
    if cfg is None:
        return None
    import unicorn

    from isa.boards import board_for
    device = NpuDevice(cfg, _UcMemory(mu, unicorn.UcError), dma_bandwidth(cfg, board_for(target, board), target))

    def fault(access: str, exc: NpuFault) -> None:
        pc = session.reg(session.regs.pc)
        session.stop(session.fault("NPU fault", pc, f"{access} of the NPU at 0x{cfg.base:x}: {exc} (ERROR = "
                                   f"{exc.code}, ERROR_INFO = 0x{exc.info:x}; the pc is the start of the basic block:"
                                   f" Unicorn does not sync it for device accesses)", with_insn=False))

    def on_read(_mu, offset, size, _user):
        try:
            return device.read_register(offset, size)
        except NpuFault as e:
            fault("read", e)
            return 0

    def on_write(_mu, offset, size, value, _user):
        try:
            device.write_register(offset, size, value)
        except NpuFault as e:
            fault("write", e)

    mu.mmio_map(cfg.base, cfg.mmio_size, on_read, None, on_write, None)
    return device
