"""Scripts that print performance tables; run them from the repository root as modules,
e.g. ``python -m benchmarks.bench_reference``. Nothing here is asserted by the tests."""
