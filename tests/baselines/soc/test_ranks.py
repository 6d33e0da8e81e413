"""Tests of the list schedulers' priorities: Topcuoglu et al.'s upward ranks, the tie rule,
the rank variants, the mean transfer over feasible PE pairs, and ranks of a subset."""

from __future__ import annotations

import numpy as np
import pytest
from soc_dag_cases import random_instance, uniform_platform

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.baselines.soc.ranks import heft_order, mean_transfer_times, upward_rank
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.builtin import topcuoglu_graph, topcuoglu_platform
from decisiongym.envs.soc.graph import task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import validate


def test_upward_ranks_match_topcuoglu_table() -> None:
    ranks = upward_rank(topcuoglu_graph(), topcuoglu_platform())
    expected = [108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667]
    np.testing.assert_allclose(ranks, expected, atol=1e-3)


def test_heft_order_breaks_the_n3_n4_tie_towards_the_lower_index() -> None:
    # rank(n3) == rank(n4) == 80 up to rounding; the paper schedules n3 first
    order = heft_order(topcuoglu_graph(), topcuoglu_platform())
    assert [f"n{t + 1}" for t in order] == [
        "n1", "n3", "n4", "n2", "n5", "n6", "n9", "n7", "n8", "n10"]


@pytest.mark.parametrize("rank", ["best", "worst"])
def test_rank_variants_bracket_the_mean(rank: str) -> None:
    graph, platform = random_instance(3, n_tasks=(40, 40), n_pes=5)
    mean = upward_rank(graph, platform)
    other = upward_rank(graph, platform, rank)  # type: ignore[arg-type]
    assert np.all(other <= mean + 1e-9) if rank == "best" else np.all(other >= mean - 1e-9)
    assert not np.allclose(other, mean)
    result = heft(graph, platform, rank)  # type: ignore[arg-type]
    assert result.method == f"heft-{rank}"
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)


def test_mean_transfer_skips_pairs_that_cannot_host_the_ends() -> None:
    # a -> b, a runs only on P1, b on P1 or P2; links P1->P2 are slow (bandwidth 0.5), the
    # others fast: only the pair (P1, P2) counts, so c̄ = 10 / 0.5 = 20 and rank(a) = 1 + 20 + 2
    graph = task_graph("pair", {"a": {"P1": 1.0}, "b": {"P1": 2.0, "P2": 2.0}},
                       [("a", "b", 10.0)])
    platform = uniform_platform(3, bandwidth=5.0)
    bandwidth = platform.bandwidth.copy()
    bandwidth[0, 1] = bandwidth[1, 0] = 0.5
    platform = Platform(platform.name, platform.type_names, platform.pe_type,
                        platform.frequency_mhz, platform.busy_power_w, platform.idle_power_w,
                        bandwidth)
    assert upward_rank(graph, platform)[0] == pytest.approx(23.0)


def test_transfer_average_takes_the_mean_time_or_the_mean_bandwidth() -> None:
    # a -> b, a runs only on P1, b on P2 or P3; P1->P2 at bandwidth 0.5, P1->P3 at 2, so the
    # pairs (P1, P2) and (P1, P3) count: mean time 10 * (1/0.5 + 1/2) / 2 = 12.5, mean
    # bandwidth 10 / ((0.5 + 2) / 2) = 8, each plus the startup latency 1
    graph = task_graph("pair", {"a": {"P1": 1.0}, "b": {"P2": 2.0, "P3": 2.0}},
                       [("a", "b", 10.0)])
    base = uniform_platform(3, bandwidth=5.0)
    bandwidth = base.bandwidth.copy()
    bandwidth[0, 1] = bandwidth[1, 0] = 0.5
    bandwidth[0, 2] = bandwidth[2, 0] = 2.0
    platform = Platform(base.name, base.type_names, base.pe_type, base.frequency_mhz,
                        base.busy_power_w, base.idle_power_w, bandwidth, startup_latency=1.0)
    assert mean_transfer_times(graph, platform).tolist() == [13.5]
    assert mean_transfer_times(graph, platform, "bandwidth").tolist() == [9.0]
    assert upward_rank(graph, platform)[0] == pytest.approx(1.0 + 13.5 + 2.0)
    assert upward_rank(graph, platform, transfer_average="bandwidth")[0] == pytest.approx(
        1.0 + 9.0 + 2.0)


def test_transfer_average_changes_heft_ranks_on_a_random_dag() -> None:
    graph, platform = random_instance(3, n_tasks=(40, 40), n_pes=5)
    time_ranks = upward_rank(graph, platform)
    bandwidth_ranks = upward_rank(graph, platform, transfer_average="bandwidth")
    # a mean of bandwidths is at least their harmonic mean, so no edge gets dearer
    assert np.all(bandwidth_ranks <= time_ranks + 1e-9)
    assert not np.allclose(bandwidth_ranks, time_ranks)
    assert not np.array_equal(heft_order(graph, platform),
                              heft_order(graph, platform, transfer_average="bandwidth"))
    result = heft(graph, platform, transfer_average="bandwidth")
    assert result.method == "heft-bandwidth"
    assert validate(platform, graph, result.trace) == pytest.approx(result.makespan)
    assert heft(graph, platform, "best", "bandwidth").method == "heft-best-bandwidth"


def test_transfer_averages_agree_on_uniform_links() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    np.testing.assert_array_equal(mean_transfer_times(graph, platform),
                                  mean_transfer_times(graph, platform, "bandwidth"))


def test_an_unknown_transfer_average_raises_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        upward_rank(topcuoglu_graph(), topcuoglu_platform(),
                    transfer_average="harmonic")  # type: ignore[arg-type]
    assert caught.value.field == "transfer_average"


def test_ranking_a_subset_ignores_the_other_tasks() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    remaining = [6, 7, 8, 9]  # n7..n10, as after n1..n6 have run
    ranks = upward_rank(graph, platform, tasks=remaining)
    assert np.all(np.isnan(ranks[:6]))
    np.testing.assert_allclose(ranks[remaining], [42.667, 35.667, 44.333, 14.667], atol=1e-3)
    assert heft_order(graph, platform, tasks=remaining).tolist() == [8, 6, 7, 9]
