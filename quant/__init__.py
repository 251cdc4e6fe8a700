"""Quantization: capture torch models, quantize them into integer-only graphs, interpret them in numpy."""
from quant.capture import capture
from quant.errors import GraphError, QuantError, UnsupportedOp
from quant.graph_file import load_graph, save_graph
from quant.ir import Graph, Node, TensorInfo
from quant.ops.checks import validate
from quant.ptq import quantize_ptq

__all__ = ["capture", "quantize_ptq", "load_graph", "save_graph", "validate", "Graph", "Node", "TensorInfo",
           "GraphError", "QuantError", "UnsupportedOp"]
