"""Learned job-shop dispatching rules."""
