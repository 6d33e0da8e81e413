"""A heterogeneous system-on-chip: processing elements (PEs) of several types and the links
between them.

Times are in microseconds, data volumes in abstract units (DS3's ``comm_vol``), bandwidths in
units per microsecond. Moving ``v`` units from PE ``a`` to PE ``b != a`` takes
``startup_latency + v / bandwidth[a, b]``; on the same PE it takes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.envs.core.errors import InputError


@dataclass(frozen=True, eq=False)
class Platform:
    """PE instances grouped by type, with power figures and a bandwidth matrix.

    :param name: platform name.
    :param type_names: name of each PE type (``"A15"``, ``"FFT"``...); task costs are keyed by
        these names.
    :param pe_type: ``(n_pes,)`` type index of each PE instance.
    :param frequency_mhz: ``(n_types,)`` operating frequency of each type.
    :param busy_power_w: ``(n_types,)`` power while running a task.
    :param idle_power_w: ``(n_types,)`` power while idle.
    :param bandwidth: ``(n_pes, n_pes)`` link bandwidth, units per µs (the diagonal is unused).
    :param startup_latency: µs added to every transfer between two different PEs.
    """

    name: str
    type_names: tuple[str, ...]
    pe_type: np.ndarray
    frequency_mhz: np.ndarray
    busy_power_w: np.ndarray
    idle_power_w: np.ndarray
    bandwidth: np.ndarray
    startup_latency: float = 0.0

    def __post_init__(self) -> None:
        pe_type = np.asarray(self.pe_type, dtype=np.int64)
        n_types = len(self.type_names)
        if pe_type.ndim != 1 or pe_type.size == 0:
            raise InputError("pe_type must list the type of at least one PE")
        if pe_type.min() < 0 or pe_type.max() >= n_types:
            raise InputError(f"pe_type values must be type indices in [0, {n_types})")
        if len(set(self.type_names)) != n_types:
            raise InputError(f"PE type names must be unique, got {self.type_names}")
        arrays: dict[str, np.ndarray] = {"pe_type": pe_type}
        for field_name in ("frequency_mhz", "busy_power_w", "idle_power_w"):
            values = np.asarray(getattr(self, field_name), dtype=np.float64)
            if values.shape != (n_types,) or np.any(values < 0) or not np.all(np.isfinite(values)):
                raise InputError(f"{field_name} must be {n_types} finite non-negative numbers")
            arrays[field_name] = values
        bandwidth = np.asarray(self.bandwidth, dtype=np.float64)
        n = pe_type.size
        if bandwidth.shape != (n, n):
            raise InputError(f"bandwidth must be {n}x{n}, got shape {bandwidth.shape}")
        off_diagonal = bandwidth[~np.eye(n, dtype=bool)]
        if np.any(off_diagonal <= 0):
            raise InputError("bandwidth between two different PEs must be > 0")
        if self.startup_latency < 0:
            raise InputError(f"startup_latency must be >= 0, got {self.startup_latency}")
        arrays["bandwidth"] = bandwidth
        for key, value in arrays.items():
            value.setflags(write=False)
            object.__setattr__(self, key, value)

    @property
    def n_pes(self) -> int:
        return int(self.pe_type.shape[0])

    @property
    def n_types(self) -> int:
        return len(self.type_names)

    def pe_names(self) -> list[str]:
        """``"A15.0"``, ``"A15.1"``...: type name and index within the type."""
        seen: dict[int, int] = {}
        names = []
        for t in self.pe_type.tolist():
            names.append(f"{self.type_names[t]}.{seen.get(t, 0)}")
            seen[t] = seen.get(t, 0) + 1
        return names

    def transfer_time(self, volume: float, src: int, dst: int) -> float:
        """µs to move ``volume`` units from PE ``src`` to PE ``dst`` (0 on the same PE)."""
        if src == dst or volume <= 0:
            return 0.0
        return self.startup_latency + volume / self.bandwidth[src, dst]

    def transfer_matrix(self) -> np.ndarray:
        """``(n_pes, n_pes)`` µs per unit of volume (0 on the diagonal); with the startup
        latency this gives every transfer time."""
        per_unit = 1.0 / self.bandwidth
        np.fill_diagonal(per_unit, 0.0)
        return per_unit
