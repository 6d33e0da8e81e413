"""Tests of the list schedulers' priorities: Topcuoglu et al.'s upward ranks, the tie rule,
the rank variants, the mean transfer over feasible PE pairs, and ranks of a subset."""

from __future__ import annotations

import numpy as np
import pytest
from soc_dag_cases import random_instance, uniform_platform

from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.baselines.soc.ranks import heft_order, upward_rank
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


def test_ranking_a_subset_ignores_the_other_tasks() -> None:
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    remaining = [6, 7, 8, 9]  # n7..n10, as after n1..n6 have run
    ranks = upward_rank(graph, platform, tasks=remaining)
    assert np.all(np.isnan(ranks[:6]))
    np.testing.assert_allclose(ranks[remaining], [42.667, 35.667, 44.333, 14.667], atol=1e-3)
    assert heft_order(graph, platform, tasks=remaining).tolist() == [8, 6, 7, 9]
