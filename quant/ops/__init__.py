"""The integer (and float reference) kernels of every op, one file per family of ops; quant/optable.py names the file
of each op and quant/reference.py runs them.

Each integer op's docstring states its exact integer steps, bit widths, rounding and saturation: it is the
specification the scalar C kernel follows. Shared fixed-point helpers are in quant/ops/fixed.py.
"""
