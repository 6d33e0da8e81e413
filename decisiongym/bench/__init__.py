"""The benchmark runner: grids of method x instance x seed, records, tables."""
