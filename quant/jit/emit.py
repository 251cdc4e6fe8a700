"""IR building blocks of the JIT kernels: a kernel function `void name(i64* args)` whose arguments are numpy buffer
addresses and integer scalars, counted loops, and int64 arithmetic (comparisons, clamps, selects).

The fixed-point steps of quant/ops/fixed.py are in quant/jit/fixed_ir.py; every kernel family builds on these."""
from __future__ import annotations

from contextlib import contextmanager

from llvmlite import ir

I1, I8, I16, I32, I64 = (ir.IntType(n) for n in (1, 8, 16, 32, 64))
INT_TYPES = {"int8": I8, "int16": I16, "int32": I32}
VOID = ir.VoidType()


def const(v: int, ty=I64) -> ir.Constant:
    return ir.Constant(ty, int(v))


def _on_values(op):
    return lambda self, a, b: op(self.b, self.c(a), self.c(b))


class Fn:
    """One kernel being emitted. args(i) reads the i-th int64 argument; ptr(i, ty) views it as a ty pointer."""

    def __init__(self, module: ir.Module, name: str) -> None:
        self.f = ir.Function(module, ir.FunctionType(VOID, [I64.as_pointer()]), name)
        self.f.args[0].add_attribute("noalias")
        self.b = ir.IRBuilder(self.f.append_basic_block("entry"))
        self._next = 0

    def arg(self) -> ir.Value:
        """The next int64 argument (arguments are read in the order the kernel's Python side packs them)."""
        v = self.b.load(self.b.gep(self.f.args[0], [const(self._next)]))
        self._next += 1
        return v

    def ptr(self, ty) -> ir.Value:
        return self.b.inttoptr(self.arg(), ty.as_pointer())

    def finish(self) -> None:
        self.b.ret_void()

    # ---- memory
    def load(self, p, idx, ty=I64) -> ir.Value:
        """p[idx], sign-extended to ty."""
        v = self.b.load(self.b.gep(p, [idx]))
        return self.b.sext(v, ty) if v.type.width < ty.width else v

    def store(self, v, p, idx) -> None:
        et = p.type.pointee
        if v.type.width > et.width:
            v = self.b.trunc(v, et)
        self.b.store(v, self.b.gep(p, [idx]))

    def alloca(self, ty, n: int) -> ir.Value:
        """A stack array of n elements (emitted in the entry block so LLVM promotes or reuses it)."""
        with self.b.goto_entry_block():
            a = self.b.alloca(ty, size=const(n))
        return a

    # ---- control flow
    @contextmanager
    def loop(self, start, stop, step: int = 1):
        """for i in range(start, stop, step): yields i (int64)."""
        b = self.b
        start = const(start) if isinstance(start, int) else start
        stop = const(stop) if isinstance(stop, int) else stop
        pre = b.block
        head = b.append_basic_block("loop")
        body = b.append_basic_block("body")
        done = b.append_basic_block("done")
        b.branch(head)
        b.position_at_end(head)
        i = b.phi(I64)
        i.add_incoming(start, pre)
        b.cbranch(b.icmp_signed("<", i, stop), body, done)
        b.position_at_end(body)
        yield i
        i.add_incoming(b.add(i, const(step)), b.block)
        b.branch(head)
        b.position_at_end(done)

    @contextmanager
    def when(self, cond):
        with self.b.if_then(cond):
            yield

    # ---- int64 arithmetic (values of any integer type; constants given as Python ints)
    def c(self, v, ty=I64):
        return const(v, ty) if isinstance(v, int) else v

    add, sub, mul, shl, ashr, sdiv = map(_on_values, (ir.IRBuilder.add, ir.IRBuilder.sub, ir.IRBuilder.mul,
                                                      ir.IRBuilder.shl, ir.IRBuilder.ashr, ir.IRBuilder.sdiv))
    lt, le, eq = (_on_values(lambda b, x, y, op=op: b.icmp_signed(op, x, y)) for op in ("<", "<=", "=="))

    def select(self, cond, a, b):
        return self.b.select(cond, self.c(a), self.c(b))

    def smax(self, a, b):
        a, b = self.c(a), self.c(b)
        return self.b.select(self.b.icmp_signed(">", a, b), a, b)

    def smin(self, a, b):
        a, b = self.c(a), self.c(b)
        return self.b.select(self.b.icmp_signed("<", a, b), a, b)

    def clamp(self, v, lo, hi):
        return self.smin(self.smax(v, lo), hi)

    def neg(self, a):
        return self.b.neg(a)

    def abs(self, a):
        return self.select(self.lt(a, 0), self.b.neg(a), a)

    def wrap32(self, a):
        """a modulo 2^32 as a signed int32 value, back in int64 (C's uint32 arithmetic)."""
        return self.b.sext(self.b.trunc(a, I32), I64)
