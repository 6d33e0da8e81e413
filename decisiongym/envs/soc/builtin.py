"""Built-in platforms and applications: the Topcuoglu example and a DS3-like system-on-chip.

Sources of the figures (every number below comes from one of these; none is read at run time):

- **Topcuoglu** — H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
  low-complexity task scheduling for heterogeneous computing", IEEE TPDS 13(3), 2002, Fig. 2:
  the 10-task DAG, its computation-cost table on three processors and its edge communication
  costs. The same numbers appear in DS3Gym's ``DASH.SoC.Top.txt`` and ``job_Top.txt``
  (github.com/EpiSci/SoCRATES, ``gym_ds3/data``). HEFT schedules it with makespan 80.
- **DS3** — S. E. Arda et al., "DS3: A system-level domain-specific system-on-chip simulation
  framework", IEEE TC 2020 (github.com/segemena/DS3, commit 056c930):
  ``config_SoC/SoC.MULTIPLE_BAL.txt`` for the PE counts, operating points, power profiles,
  per-(task, PE) execution times and ``comm_band`` bandwidths, and
  ``config_Jobs/job_WIFI_5TXM.txt``, ``job_WIFI_5RXM.txt``, ``job_LAG.txt``, ``job_SCT.txt``,
  ``job_SCR.txt`` and ``job_TEMP_MIT.txt`` for the task structure and ``comm_vol`` volumes.

Times are µs, volumes DS3's abstract units, bandwidths units per µs (see
:mod:`decisiongym.envs.soc.platform`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import DagProblem

DUMMY_TASK_US = 1e-3
"""Execution time given to DS3's zero-time source and sink tasks (``end``, ``ST``,
``start_task``, ``cover_signal``, ``message_signal``, listed at 0 µs in
``SoC.MULTIPLE_BAL.txt``). :class:`TaskGraph` requires positive times; a nanosecond keeps every
schedule within 0.005 µs of DS3's."""

# ---------------------------------------------------------------------------------------------
# Topcuoglu, Hariri & Wu (2002), Fig. 2
# ---------------------------------------------------------------------------------------------

# Computation cost of task n1..n10 on processors P1, P2, P3 (Fig. 2, table on the right).
_TOPCUOGLU_COST = (
    (14, 16, 9),
    (13, 19, 18),
    (11, 13, 19),
    (13, 8, 17),
    (12, 13, 10),
    (13, 16, 9),
    (7, 15, 11),
    (5, 11, 14),
    (18, 12, 20),
    (21, 7, 16),
)

# (from, to, communication cost) with 1-based task numbers as in the paper's figure.
_TOPCUOGLU_EDGES = (
    (1, 2, 18), (1, 3, 12), (1, 4, 9), (1, 5, 11), (1, 6, 14),
    (2, 8, 19), (2, 9, 16), (3, 7, 23), (4, 8, 27), (4, 9, 23),
    (5, 9, 13), (6, 8, 15), (7, 10, 17), (8, 10, 11), (9, 10, 13),
)


def topcuoglu_graph() -> TaskGraph:
    """The 10-task, 15-edge DAG of Topcuoglu et al. (2002), Fig. 2.

    Tasks are named ``n1`` ... ``n10`` as in the paper; each of the three processors is its own
    PE type (``P1``, ``P2``, ``P3``). Edge volumes equal the published communication costs, so on
    :func:`topcuoglu_platform` (bandwidth 1, no startup latency) a transfer between two different
    processors takes exactly the published time. HEFT's schedule has makespan 80.
    """
    types = ("P1", "P2", "P3")
    costs = {
        f"n{i + 1}": dict(zip(types, map(float, row))) for i, row in enumerate(_TOPCUOGLU_COST)
    }
    edges = [(f"n{a}", f"n{b}", float(c)) for a, b, c in _TOPCUOGLU_EDGES]
    return task_graph("topcuoglu", costs, edges)


def topcuoglu_platform() -> Platform:
    """Three processors ``P1``-``P3``, one of each type, linked at bandwidth 1 with no startup
    latency (the paper's model: a transfer costs the edge's published communication cost).

    The paper gives no frequencies or powers; 1000 MHz, 1 W busy and 0 W idle are placeholders
    so that energy figures are defined, not measurements.
    """
    n = 3
    return Platform(
        name="topcuoglu",
        type_names=("P1", "P2", "P3"),
        pe_type=np.arange(n),
        frequency_mhz=np.full(n, 1000.0),
        busy_power_w=np.ones(n),
        idle_power_w=np.zeros(n),
        bandwidth=np.ones((n, n)),
        startup_latency=0.0,
    )


# ---------------------------------------------------------------------------------------------
# DS3's default SoC, SoC.MULTIPLE_BAL.txt
# ---------------------------------------------------------------------------------------------

# Cluster order, names and capacities as DS3 lists them (resource IDs 0-4; MEMORY is left out
# because no task runs on it and PE-to-PE transfers do not pass through it here).
_DS3_TYPES = ("A7", "A15", "MM", "FFT", "VIT")
_DS3_COUNTS = (4, 4, 2, 4, 2)

# The "performance" DVFS governor DS3 uses keeps each cluster at its highest operating point:
# A7 opp list 600-1400 MHz, A15 600-2000 MHz, each accelerator a single 1000 MHz point.
_DS3_FREQUENCY_MHZ = (1400.0, 2000.0, 1000.0, 1000.0, 1000.0)

# Busy power: the first entry of each cluster's power_profile at the frequency above, i.e. the
# power of the cluster with one core active (A7 @1400 MHz 0.39 W, A15 @2000 MHz 3.32 W,
# MM 0.05 W, FFT 0.0913 W, VIT 0.05885 W).
_DS3_BUSY_POWER_W = (0.39, 3.32, 0.05, 0.0913, 0.05885)

# Idle power is an estimate; DS3 lists no such figure. With one core active, the cluster draws
# power_profile[0] when its three idle cores stay powered and PG_profile[0] when they are gated,
# so (power_profile[0] - PG_profile[0]) / 3 is what one idle, ungated core costs:
# A7 (0.39 - 0.27) / 3, A15 (3.32 - 2.29) / 3. The accelerators' two profiles are identical,
# which makes their idle cost 0 by the same reading.
_DS3_IDLE_POWER_W = ((0.39 - 0.27) / 3, (3.32 - 2.29) / 3, 0.0, 0.0, 0.0)

_DS3_BANDWIDTH = 1000.0
_DS3_FFT_BANDWIDTH = 10.0


def default_platform() -> Platform:
    """The 16-PE big.LITTLE SoC of DS3 (``SoC.MULTIPLE_BAL.txt``).

    ====  =====  =========  ========  ===========
    type  count  frequency  busy (W)  idle (W)
    ====  =====  =========  ========  ===========
    A7    4      1400 MHz   0.39      0.04 (est.)
    A15   4      2000 MHz   3.32      0.343 (est.)
    MM    2      1000 MHz   0.05      0
    FFT   4      1000 MHz   0.0913    0
    VIT   2      1000 MHz   0.05885   0
    ====  =====  =========  ========  ===========

    PEs are numbered in DS3's order: ``A7.0-3`` are PEs 0-3, ``A15.0-3`` 4-7, ``MM`` 8-9,
    ``FFT`` 10-13, ``VIT`` 14-15. Links carry 1000 units/µs, except those between an FFT
    accelerator and an A7, A15 or MM PE, which carry 10 units/µs: DS3's ``comm_band`` lines
    ``0 3 10``, ``1 3 10`` and ``2 3 10``, which its parser stores in both directions. This is
    the deliberate communication bottleneck of DS3's reference SoC. There is no startup latency.
    """
    pe_type = np.repeat(np.arange(len(_DS3_TYPES)), _DS3_COUNTS)
    fft = _DS3_TYPES.index("FFT")
    slow_partners = [_DS3_TYPES.index(t) for t in ("A7", "A15", "MM")]
    bandwidth = np.full((pe_type.size, pe_type.size), _DS3_BANDWIDTH)
    is_fft = pe_type == fft
    is_partner = np.isin(pe_type, slow_partners)
    bandwidth[np.ix_(is_fft, is_partner)] = _DS3_FFT_BANDWIDTH
    bandwidth[np.ix_(is_partner, is_fft)] = _DS3_FFT_BANDWIDTH
    return Platform(
        name="ds3_default",
        type_names=_DS3_TYPES,
        pe_type=pe_type,
        frequency_mhz=np.array(_DS3_FREQUENCY_MHZ),
        busy_power_w=np.array(_DS3_BUSY_POWER_W),
        idle_power_w=np.array(_DS3_IDLE_POWER_W),
        bandwidth=bandwidth,
        startup_latency=0.0,
    )


# ---------------------------------------------------------------------------------------------
# DS3's reference applications
# ---------------------------------------------------------------------------------------------


def _on(a7: float, a15: float, **accelerators: float) -> dict[str, float]:
    """Execution times of one task: on the A7 and A15 clusters, and on the accelerators named
    (``FFT=16``...). A zero DS3 time becomes :data:`DUMMY_TASK_US`."""
    row = {"A7": float(a7), "A15": float(a15)}
    row.update({name: float(value) for name, value in accelerators.items()})
    return {name: (value if value > 0 else DUMMY_TASK_US) for name, value in row.items()}


def wifi_tx() -> TaskGraph:
    """WiFi transmitter, 27 tasks and 30 edges (DS3 ``job_WIFI_5TXM.txt``).

    A scrambler/encoder fans out to five parallel chains of interleaver, QPSK modulation,
    pilot insertion, IFFT and CRC, which join in a zero-time ``end`` task. Each IFFT also runs
    on the FFT accelerator (16 µs against 296 µs on A7 and 118 µs on A15).
    """
    costs: dict[str, dict[str, float]] = {"scrambler_encoder": _on(22, 10)}
    edges: list[tuple[str, str, float]] = []
    for i in range(1, 6):
        chain = [f"interleaver_{i}", f"qpsk_{i}", f"pilot_insertion_{i}", f"ifft_{i}", f"crc_{i}"]
        costs[chain[0]] = _on(10, 4)
        costs[chain[1]] = _on(15, 8)
        costs[chain[2]] = _on(5, 3)
        costs[chain[3]] = _on(296, 118, FFT=16)
        costs[chain[4]] = _on(5, 3)
        edges.append(("scrambler_encoder", chain[0], 2000.0))
        edges += [
            (chain[0], chain[1], 3000.0),
            (chain[1], chain[2], 3000.0),
            (chain[2], chain[3], 10.0),
            (chain[3], chain[4], 80.0),
        ]
    costs["end"] = _on(0, 0)
    # DS3 gives the five CRC -> end edges volume 0, except the last chain's, which has 3.
    edges += [(f"crc_{i}", "end", 3.0 if i == 5 else 0.0) for i in range(1, 6)]
    return _in_ds3_order("wifi_tx", costs, edges)


def wifi_rx() -> TaskGraph:
    """WiFi receiver, 34 tasks and 37 edges (DS3 ``job_WIFI_5RXM.txt``).

    A matched filter fans out to five chains of payload extraction, FFT, pilot handling, QPSK
    demodulation, deinterleaving and format conversion; all five feed one Viterbi decoder, then
    a descrambler and a message decoder. The FFTs also run on the FFT accelerator and the
    decoder on the Viterbi accelerator (2 µs against 1828 µs on A7).
    """
    costs: dict[str, dict[str, float]] = {"match_filter": _on(16, 5)}
    edges: list[tuple[str, str, float]] = []
    for i in range(1, 6):
        chain = [
            f"payload_extraction_{i}", f"fft_{i}", f"pilot_{i}", f"qpsk_demodulation_{i}",
            f"deinterleaver_{i}", f"format_conversion_{i}",
        ]
        costs[chain[0]] = _on(8, 4)
        costs[chain[1]] = _on(289, 114, FFT=12)
        costs[chain[2]] = _on(6, 4)
        costs[chain[3]] = _on(191, 95)
        costs[chain[4]] = _on(16, 9)
        costs[chain[5]] = _on(7, 4)
        edges.append(("match_filter", chain[0], 3000.0))
        edges += [
            (chain[0], chain[1], 30.0),
            (chain[1], chain[2], 80.0),
            (chain[2], chain[3], 3000.0),
            (chain[3], chain[4], 3000.0),
            (chain[4], chain[5], 3000.0),
            (chain[5], "viterbi_decoder", 3000.0),
        ]
    costs["viterbi_decoder"] = _on(1828, 739, VIT=2)
    costs["descrambler"] = _on(3, 2)
    costs["message_decode"] = _on(90, 39)
    edges += [
        ("viterbi_decoder", "descrambler", 3000.0),
        ("descrambler", "message_decode", 3000.0),
    ]
    return _in_ds3_order("wifi_rx", costs, edges)


def range_detection() -> TaskGraph:
    """Range (lag) detection, 7 tasks and 7 edges (DS3 ``job_LAG.txt``, job name
    ``lag_detection``).

    A zero-time start task feeds a chirp generator (``LFM``) whose FFT is multiplied with the
    FFT of the received signal; an inverse FFT and a maximum search give the lag. The three
    transforms also run on the FFT accelerator (30 µs).
    """
    costs = {
        "ST": _on(0, 0),
        "LFM": _on(90, 60),
        "xcorr_fft0": _on(150, 60, FFT=30),
        "xcorr_fft1": _on(150, 60, FFT=30),
        "xcorr_vector_complex_conj_mul": _on(75, 6),
        "xcorr_ifft": _on(150, 60, FFT=30),
        "max_detect": _on(20, 20),
    }
    edges = [
        ("ST", "LFM", 1.0),
        ("LFM", "xcorr_fft0", 1.0),
        ("ST", "xcorr_fft1", 1.0),
        ("xcorr_fft1", "xcorr_vector_complex_conj_mul", 150.0),
        ("xcorr_fft0", "xcorr_vector_complex_conj_mul", 150.0),
        ("xcorr_vector_complex_conj_mul", "xcorr_ifft", 1.0),
        ("xcorr_ifft", "max_detect", 150.0),
    ]
    return _in_ds3_order("range_detection", costs, edges)


def sc_tx() -> TaskGraph:
    """Single-carrier transmitter, a chain of 8 tasks (DS3 ``job_SCT.txt``, job name ``SC-T``).

    DS3 gives every edge volume 0, so placement never costs a transfer; all tasks run on the
    two CPU clusters only.
    """
    costs = {
        "scrambler": _on(6, 2),
        "viterbi_encoder": _on(31, 9),
        "viterbi_puncturing": _on(6, 3),
        "interleaver": _on(10, 3),
        "qpsk_modulation": _on(27, 8),
        "crc": _on(5, 2),
        "upsampling": _on(42, 9),
        "fir_filter": _on(30, 20),
    }
    return _chain("sc_tx", costs)


def sc_rx() -> TaskGraph:
    """Single-carrier receiver, a chain of 8 tasks (DS3 ``job_SCR.txt``, job name ``SC-R``).

    Edge volumes are 0 as in DS3. ``SoC.MULTIPLE_BAL.txt`` lists ``viterbi_decoder`` and
    ``descrambler`` twice per CPU cluster, once in the WiFi-receiver block and once in this
    application's block; the figures here are this block's (decoder 3130 µs on A7, 987 µs on
    A15). DS3's simulator looks a task up by name and so runs SC-R's decoder with the WiFi
    figures (1828 and 739 µs); either way the Viterbi accelerator's 2 µs dominates.
    """
    costs = {
        "match_correlation": _on(30, 20),
        "filter": _on(30, 20),
        "payload_extraction": _on(14, 3),
        "qpsk_demodulation": _on(240, 96),
        "deinterleaver": _on(20, 7),
        "viterbi_depuncturing": _on(5, 3),
        "viterbi_decoder": _on(3130, 987, VIT=2),
        "descrambler": _on(5, 2),
    }
    return _chain("sc_rx", costs)


def temporal_mitigation() -> TaskGraph:
    """Temporal interference mitigation, 10 tasks and 12 edges (DS3 ``job_TEMP_MIT.txt``).

    Three zero-time source tasks feed a Hermitian transpose and three complex matrix
    multiplications (``CMM_1-3``), which also run on the matrix-multiply accelerator (22 µs
    against 210-240 µs on A7). Every edge carries volume 1. This is the application where DS3's
    big cores are furthest ahead of the LITTLE ones (about 4.4x summed over the job).
    """
    costs = {
        "start_task": _on(0, 0),
        "cover_signal": _on(0, 0),
        "message_signal": _on(0, 0),
        "hermitian_opt": _on(23, 6),
        "CMM_1": _on(240, 54, MM=22),
        "CMM_2": _on(240, 54, MM=22),
        "matrix_opts": _on(25, 8),
        "matrix_multiplication": _on(17, 5),
        "CMM_3": _on(210, 44, MM=22),
        "matrix_subtraction": _on(72, 16),
    }
    edges = [
        ("start_task", "cover_signal", 1.0),
        ("start_task", "message_signal", 1.0),
        ("cover_signal", "hermitian_opt", 1.0),
        ("cover_signal", "CMM_1", 1.0),
        ("hermitian_opt", "CMM_1", 1.0),
        ("message_signal", "CMM_2", 1.0),
        ("hermitian_opt", "CMM_2", 1.0),
        ("CMM_1", "matrix_opts", 1.0),
        ("CMM_2", "matrix_multiplication", 1.0),
        ("matrix_opts", "matrix_multiplication", 1.0),
        ("matrix_multiplication", "CMM_3", 1.0),
        ("CMM_3", "matrix_subtraction", 1.0),
    ]
    return _in_ds3_order("temporal_mitigation", costs, edges)


def _chain(name: str, costs: dict[str, dict[str, float]]) -> TaskGraph:
    tasks = list(costs)
    edges = [(a, b, 0.0) for a, b in zip(tasks[:-1], tasks[1:])]
    return _in_ds3_order(name, costs, edges)


def _in_ds3_order(
    name: str, costs: dict[str, dict[str, float]], edges: list[tuple[str, str, float]]
) -> TaskGraph:
    # Tasks keep DS3's task IDs (``costs`` is written in that order) and cost columns follow
    # DS3's cluster order, so that every DS3 application indexes its table alike.
    columns = tuple(t for t in _DS3_TYPES if any(t in row for row in costs.values()))
    tasks = tuple(costs)
    cost = np.full((len(tasks), len(columns)), np.inf)
    for i, row in enumerate(costs.values()):
        for t, value in row.items():
            cost[i, columns.index(t)] = value
    index = {task: i for i, task in enumerate(tasks)}
    edge_array = np.array([(index[a], index[b]) for a, b, _ in edges], dtype=np.int64)
    volume = np.array([v for _, _, v in edges], dtype=np.float64)
    return TaskGraph(name, tasks, columns, cost, edge_array, volume)


BUILTIN_APPLICATIONS: dict[str, Callable[[], TaskGraph]] = {
    "wifi_tx": wifi_tx,
    "wifi_rx": wifi_rx,
    "range_detection": range_detection,
    "sc_tx": sc_tx,
    "sc_rx": sc_rx,
    "temporal_mitigation": temporal_mitigation,
    "topcuoglu": topcuoglu_graph,
}
"""Application name -> a function building it."""

DS3_APPLICATIONS: tuple[str, ...] = (
    "wifi_tx", "wifi_rx", "range_detection", "sc_tx", "sc_rx", "temporal_mitigation",
)
"""The six DS3 reference applications, in DS3's ``job_probabilities`` order."""

BUILTIN_PLATFORMS: dict[str, Callable[[], Platform]] = {
    "default": default_platform,
    "topcuoglu": topcuoglu_platform,
}
"""Platform name -> a function building it."""


def load_application(
    name_or_path: str | os.PathLike[str], platform: Platform | None = None
) -> TaskGraph:
    """A built-in application by name, or one read from a JSON (or YAML) file.

    :param name_or_path: a key of :data:`BUILTIN_APPLICATIONS` or the path of a file in the
        format of :func:`decisiongym.envs.soc.files.read_application`.
    :param platform: when given, a file is checked against it (unknown PE types, tasks no PE
        can run); a built-in application is checked with :meth:`TaskGraph.cost_on`.
    :raises KeyError: for a name that is neither built in nor an existing file.
    """
    key = os.fspath(name_or_path)
    if key in BUILTIN_APPLICATIONS:
        graph = BUILTIN_APPLICATIONS[key]()
        if platform is not None:
            graph.cost_on(platform)
        return graph
    if Path(key).is_file():
        from decisiongym.envs.soc.files import read_application

        return read_application(key, platform=platform)
    raise KeyError(
        f"{key!r} is neither a built-in application ({', '.join(BUILTIN_APPLICATIONS)}) "
        "nor an existing file"
    )


def load_platform(name_or_path: str | os.PathLike[str]) -> Platform:
    """A built-in platform by name, or one read from a JSON (or YAML) file.

    :param name_or_path: a key of :data:`BUILTIN_PLATFORMS` or the path of a file in the format
        of :func:`decisiongym.envs.soc.files.read_platform`.
    :raises KeyError: for a name that is neither built in nor an existing file.
    """
    key = os.fspath(name_or_path)
    if key in BUILTIN_PLATFORMS:
        return BUILTIN_PLATFORMS[key]()
    if Path(key).is_file():
        from decisiongym.envs.soc.files import read_platform

        return read_platform(key)
    raise KeyError(
        f"{key!r} is neither a built-in platform ({', '.join(BUILTIN_PLATFORMS)}) "
        "nor an existing file"
    )


def load_dag_problem(
    name_or_path: str | os.PathLike[str], platform: str | os.PathLike[str] = "default"
) -> DagProblem:
    """An application (built-in name or file) on a platform (built-in name or file), checked
    against each other: the instance of the static schedulers.

    :raises KeyError: for a name that is neither built in nor an existing file.
    """
    on = load_platform(platform)
    return DagProblem(on, load_application(name_or_path, platform=on))
