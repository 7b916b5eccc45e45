"""Compiled serving: pipelines converted to ONNX, checked for parity, run by ONNX Runtime."""
