"""Benchmarks: minitheano against numpy and PyTensor, as ratios (see bench/README.md)."""
