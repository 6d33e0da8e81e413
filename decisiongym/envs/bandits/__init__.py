"""Contextual and multi-armed bandits: one round per step, the oracle in ``info``."""
