"""Solvers and heuristics that do not learn."""
