"""Benchmarks (`tracepipe bench …`): each measures one thing and writes its results table under benchmarks/results/."""
