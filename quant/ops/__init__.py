"""The reference kernels of every op, one file per family of ops (quant/optable.py names each op's file); each
integer op's docstring states its exact integer steps, the specification the C kernels follow."""
