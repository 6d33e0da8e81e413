"""The random layered-DAG generator and random platforms."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph


def same_graph(a: TaskGraph, b: TaskGraph) -> bool:
    return (
        a.name == b.name
        and np.array_equal(a.cost, b.cost)
        and np.array_equal(a.edges, b.edges)
        and np.array_equal(a.volume, b.volume)
    )


def test_same_seed_same_graph_other_seed_other_graph() -> None:
    generator = RandomDAGGenerator()
    assert same_graph(generator.sample(7), generator.sample(7))
    assert same_graph(generator(np.random.default_rng(7)), generator.sample(7))
    assert not same_graph(generator.sample(7), generator.sample(8))


@pytest.mark.parametrize("seed", range(20))
def test_sizes_acyclic_and_connected(seed: int) -> None:
    graph = RandomDAGGenerator(n_tasks=(20, 50), type_names=("A", "B")).sample(seed)
    assert 20 <= graph.n_tasks <= 50
    assert graph.cost.shape == (graph.n_tasks, 2)
    # TaskGraph refuses a cycle, and the order it finds puts every edge forwards.
    position = np.empty(graph.n_tasks, dtype=np.int64)
    position[graph.topological_order] = np.arange(graph.n_tasks)
    assert np.all(position[graph.edges[:, 0]] < position[graph.edges[:, 1]])
    # Tasks are numbered layer by layer, so every edge also goes to a higher index.
    assert np.all(graph.edges[:, 0] < graph.edges[:, 1])
    assert len({tuple(e) for e in graph.edges.tolist()}) == graph.n_edges
    # Only the first layer lacks predecessors and only the last lacks successors; layers are
    # numbered in order, so sources form a prefix of the task indices and sinks a suffix.
    sources = np.setdiff1d(np.arange(graph.n_tasks), graph.edges[:, 1])
    sinks = np.setdiff1d(np.arange(graph.n_tasks), graph.edges[:, 0])
    assert np.array_equal(sources, np.arange(sources.size))
    assert np.array_equal(sinks, np.arange(graph.n_tasks - sinks.size, graph.n_tasks))
    assert sources.size + sinks.size <= graph.n_tasks
    assert np.all(graph.cost > 0) and np.all(graph.volume >= 0)


def test_fixed_size_and_width_controls_shape() -> None:
    def depth(graph: TaskGraph) -> int:
        level = np.zeros(graph.n_tasks, dtype=np.int64)
        for t in graph.topological_order.tolist():
            for s, _ in graph.successors()[t]:
                level[s] = max(level[s], level[t] + 1)
        return int(level.max()) + 1

    thin = [depth(RandomDAGGenerator(n_tasks=64, width=0.25).sample(s)) for s in range(10)]
    wide = [depth(RandomDAGGenerator(n_tasks=64, width=4.0).sample(s)) for s in range(10)]
    assert all(RandomDAGGenerator(n_tasks=64).sample(s).n_tasks == 64 for s in range(3))
    assert np.mean(thin) > 2 * np.mean(wide)


def test_density_adds_edges() -> None:
    sparse = [RandomDAGGenerator(n_tasks=40, density=0.1).sample(s).n_edges for s in range(10)]
    dense = [RandomDAGGenerator(n_tasks=40, density=0.9).sample(s).n_edges for s in range(10)]
    assert np.mean(dense) > 1.5 * np.mean(sparse)


@pytest.mark.parametrize("ccr", [0.1, 1.0, 5.0])
def test_ccr_close_to_requested_on_average(ccr: float) -> None:
    generator = RandomDAGGenerator(ccr=ccr, bandwidth=2.0)
    ratios = []
    for seed in range(100):
        graph = generator.sample(seed)
        mean_transfer = graph.volume.mean() / 2.0
        ratios.append(mean_transfer / graph.cost.mean())
    assert np.mean(ratios) == pytest.approx(ccr, rel=0.1)


def test_heterogeneity_spreads_costs_across_types() -> None:
    def spread(beta: float) -> float:
        graph = RandomDAGGenerator(heterogeneity=beta, n_tasks=200).sample(3)
        return float(np.mean(graph.cost.max(axis=1) / graph.cost.min(axis=1)))

    assert spread(0.0) == pytest.approx(1.0)
    assert spread(1.9) > spread(0.5) > 1.0


def test_unsupported_entries_leave_every_task_runnable() -> None:
    graph = RandomDAGGenerator(p_unsupported=0.6, n_tasks=100).sample(1)
    missing = np.isinf(graph.cost)
    assert missing.any()
    assert np.all((~missing).any(axis=1))


@pytest.mark.parametrize(
    "kwargs",
    [{"n_tasks": 0}, {"n_tasks": (5, 3)}, {"width": 0.0}, {"density": 0.0}, {"ccr": -1.0},
     {"heterogeneity": 2.0}, {"type_names": ()}, {"max_jump": 0}, {"p_unsupported": 1.0}],
)
def test_rejects_bad_parameters(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RandomDAGGenerator(**kwargs)  # type: ignore[arg-type]


def test_random_platform() -> None:
    platform = random_platform(8, 3, seed=2)
    assert platform.n_pes == 8
    assert platform.type_names == ("P1", "P2", "P3")
    assert set(platform.pe_type.tolist()) == {0, 1, 2}
    off = ~np.eye(8, dtype=bool)
    assert np.allclose(platform.bandwidth, platform.bandwidth.T)
    assert np.all((platform.bandwidth[off] >= 0.5) & (platform.bandwidth[off] <= 2.0))
    assert np.array_equal(random_platform(8, 3, seed=2).bandwidth, platform.bandwidth)
    assert not np.array_equal(random_platform(8, 3, seed=3).bandwidth, platform.bandwidth)
    graph = RandomDAGGenerator().sample(0)
    assert graph.cost_on(platform).shape == (graph.n_tasks, 8)
    with pytest.raises(ValueError):
        random_platform(2, 3, seed=0)
