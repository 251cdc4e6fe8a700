"""Instruction-set simulation: run ELFs under Unicorn or QEMU with exact, natively collected counts."""
from isa.boards import BOARDS, Board, board_for, get_board
from isa.errors import (BadElf, BoardMismatch, EmulatorFault, EmulatorNotFound, InstructionBudgetExceeded, IsaError,
                        ProgramDoesNotFitBoard, RunTimeout, UnknownBoard, UnknownTarget, UnsupportedBackend)
from isa.result import BlockCounts, RunResult
from isa.run import check_backend as run_check_backend
from isa.run import DEFAULT_MAX_INSTRUCTIONS, run
from isa.targets import TARGETS, Target, get_target, parse_targets

__all__ = ["run", "DEFAULT_MAX_INSTRUCTIONS", "run_check_backend", "RunResult", "BlockCounts", "Target", "TARGETS", "get_target", "parse_targets", "IsaError",
           "BadElf", "EmulatorFault", "EmulatorNotFound", "InstructionBudgetExceeded", "RunTimeout",
           "UnknownTarget", "UnsupportedBackend", "Board", "BOARDS", "get_board", "board_for", "UnknownBoard",
           "BoardMismatch", "ProgramDoesNotFitBoard"]
