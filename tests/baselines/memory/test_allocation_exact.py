"""The exact allocation search: against a plain-Python brute force, on known optima, on proofs
of infeasibility, and on MiniMalloc's example and challenging files."""

from __future__ import annotations

import numpy as np
import pytest
from shared_data import shared_data

from decisiongym.baselines.memory import exact_kernel as kernel
from decisiongym.baselines.memory.exact import _Search, minimize_peak_exact, solve_exact
from decisiongym.baselines.memory.timeline import build_timeline
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.generator import tight_problem
from decisiongym.envs.memory.minimalloc_csv import parse_minimalloc_csv, read_minimalloc_csv
from decisiongym.envs.memory.problem import AllocationProblem, validate_allocation

SHARED = shared_data("memory")
CHALLENGING = SHARED / "minimalloc_challenging"

# MiniMalloc's example (benchmarks/examples/input.12.csv in google/minimalloc), capacity 12.
EXAMPLE = "id,lower,upper,size\nb1,0,3,4\nb2,3,9,4\nb3,0,9,4\nb4,9,21,4\nb5,0,21,4\n"

# Found by a random search and shrunk by deleting buffers while it stayed infeasible: the max
# live bytes are 17, yet no packing fits in 17 (CP-SAT agrees); 18 fits.
FRAGMENTED = AllocationProblem([6, 5, 0, 2, 4, 7, 4, 0, 1, 2, 0, 4, 3],
                               [10, 9, 4, 7, 9, 11, 6, 3, 6, 5, 1, 9, 7],
                               [3, 6, 6, 2, 1, 3, 1, 4, 2, 2, 6, 3, 2], 17)


def brute_force_packs(problem: AllocationProblem, capacity: int) -> bool:
    """Try every aligned offset for every buffer in index order (no idea from the search)."""
    lower, upper, size = problem.lower.tolist(), problem.upper.tolist(), problem.size.tolist()
    n, step = len(size), problem.alignment
    offsets = [0] * n

    def place(i: int) -> bool:
        if i == n:
            return True
        for o in range(0, capacity - size[i] + 1, step):
            if all(not (lower[j] < upper[i] and lower[i] < upper[j]
                        and offsets[j] < o + size[i] and o < offsets[j] + size[j])
                   for j in range(i)):
                offsets[i] = o
                if place(i + 1):
                    return True
        return False

    return place(0)


def random_small(rng: np.random.Generator) -> AllocationProblem:
    n = int(rng.integers(2, 7))
    lower = rng.integers(0, 6, n)
    return AllocationProblem(lower, lower + rng.integers(1, 5, n), rng.integers(1, 6, n), 1,
                             alignment=int(rng.choice([1, 1, 2])))


def test_same_verdict_and_least_peak_as_brute_force() -> None:
    rng = np.random.default_rng(0)
    verdicts = set()
    for _ in range(150):
        problem = random_small(rng)
        least = problem.max_live()
        while not brute_force_packs(problem, least):
            least += 1
        for capacity in range(max(1, problem.max_live() - 1), least + 2):
            result = solve_exact(problem, capacity=capacity)
            expected = brute_force_packs(problem, capacity)
            assert (result.status == "optimal") == expected, (problem, capacity)
            assert result.status in ("optimal", "infeasible")
            verdicts.add(result.status)
            if expected:
                assert validate_allocation(problem, result.offsets, capacity) == result.peak
        best = minimize_peak_exact(problem)
        assert best.status == "optimal" and best.peak == best.bound == least
        validate_allocation(problem, best.offsets, least)
    assert verdicts == {"optimal", "infeasible"}


def random_full(rng: np.random.Generator) -> tuple[AllocationProblem, int] | None:
    """A small problem whose every section is full at the capacity (the max live bytes rounded
    up to the alignment), or ``None`` when the draw has a section with room to spare."""
    n = int(rng.integers(3, 11))
    lower = rng.integers(0, 7, n)
    alignment = int(rng.choice([1, 2]))
    problem = AllocationProblem(lower, lower + rng.integers(1, 5, n), rng.integers(1, 5, n), 1,
                                alignment=alignment)
    capacity = -(-problem.max_live() // alignment) * alignment
    timeline = build_timeline(problem)
    totals = [int(problem.size[timeline.section_buffers[timeline.section_ptr[s]:
                                                        timeline.section_ptr[s + 1]]].sum())
              for s in range(timeline.n_sections)]
    if timeline.n_sections < 2 or any(capacity - total >= alignment for total in totals):
        return None
    return problem, capacity


def test_full_row_checks_agree_with_brute_force() -> None:
    # Every section full: the search's full-row checks are on; odd sizes under alignment 2 make
    # many of these infeasible, so a check that cut a packing would show here.
    rng = np.random.default_rng(1)
    verdicts = {"optimal": 0, "infeasible": 0}
    while min(verdicts.values()) < 60:
        drawn = random_full(rng)
        if drawn is None:
            continue
        problem, capacity = drawn
        assert _Search(problem, build_timeline(problem), capacity, "WAT").full_sections.size
        result = solve_exact(problem, capacity=capacity)
        assert (result.status == "optimal") == brute_force_packs(problem, capacity), problem
        verdicts[result.status] += 1
        if result.status == "optimal":
            validate_allocation(problem, result.offsets, capacity)


@pytest.mark.parametrize(("n_buffers", "seed"), [(194, 2), (288, 4)])
def test_full_row_checks_cut_the_search_on_full_strips(n_buffers: int, seed: int) -> None:
    problem = tight_problem(n_buffers, seed, capacity=2**20)
    timeline = build_timeline(problem)
    nodes = {}
    for checked in (True, False):
        search = _Search(problem, timeline, 2**20, "WAT")
        if not checked:
            search.full_sections = search.full_sections[:0]
            search.is_full[:] = 0
        assert search.run(10**6) == kernel.SOLVED
        validate_allocation(problem, search.solution, 2**20)
        nodes[checked] = search.nodes
    # Measured: 332 against 8,256 nodes, and 308 against 10,423.
    assert nodes[True] * 10 < nodes[False]
    result = solve_exact(problem, node_limit=2_000)
    assert result.status == "optimal" and result.peak == 2**20


def test_full_row_checks_are_off_when_a_section_has_room() -> None:
    problem = tight_problem(120, 3, capacity=4096, alignment=64, holes=0.2)
    timeline = build_timeline(problem)
    assert _Search(problem, timeline, 4096, "WAT").full_sections.size == 0
    full = tight_problem(120, 3, capacity=4096, alignment=64)
    assert _Search(full, build_timeline(full), 4096, "WAT").full_sections.size > 0


def test_minimalloc_example_at_capacity_12() -> None:
    problem = parse_minimalloc_csv(EXAMPLE, 12, name="input")[0]
    result = solve_exact(problem)
    assert result.status == "optimal" and result.nodes > 0
    assert validate_allocation(problem, result.offsets) == 12
    assert solve_exact(problem, capacity=11).status == "infeasible"


def test_fragmentation_is_proven_infeasible_by_search_not_by_the_load() -> None:
    assert FRAGMENTED.max_live() == 17
    proof = solve_exact(FRAGMENTED)
    assert proof.status == "infeasible" and proof.nodes > 0 and proof.bound == 18
    best = minimize_peak_exact(FRAGMENTED)
    assert best.status == "optimal" and best.peak == 18
    validate_allocation(FRAGMENTED, best.offsets, 18)


@pytest.mark.parametrize("seed", range(6))
def test_tight_instances_reach_their_known_optimum(seed: int) -> None:
    problem = tight_problem(20 + 8 * seed, seed, capacity=4096, alignment=64)
    result = solve_exact(problem, time_limit=20)
    assert result.status == "optimal"
    assert validate_allocation(problem, result.offsets) == 4096
    below = solve_exact(problem, capacity=4095)
    assert below.status == "infeasible" and below.bound == 4096


def test_same_problem_same_answer() -> None:
    problem = tight_problem(120, 3, capacity=4096, alignment=64)
    first, second = solve_exact(problem), solve_exact(problem)
    assert np.array_equal(first.offsets, second.offsets) and first.nodes == second.nodes


def test_budgets_end_in_unknown() -> None:
    problem = tight_problem(300, 11, capacity=2**20)
    result = solve_exact(problem, node_limit=5)
    assert result.status == "unknown" and result.offsets is None and result.nodes <= 5


def test_state_grows_when_its_arrays_run_short() -> None:
    problem = tight_problem(80, 2, capacity=4096, alignment=64)
    timeline = build_timeline(problem)
    reference = _Search(problem, timeline, 4096, "WAT")
    assert reference.run(10**9) == kernel.SOLVED
    short = _Search(problem, timeline, 4096, "WAT")
    used = int(short.registers[kernel.R_ARENA])
    short.arena = short.arena[:used + 3 * problem.n_buffers + timeline.n_sections + 4].copy()
    short.trail = short.trail[:problem.n_buffers + 2 * timeline.n_sections + 2].copy()
    assert short.run(10**9) == kernel.SOLVED
    assert np.array_equal(short.solution, reference.solution)
    assert short.arena.size > used + 3 * problem.n_buffers + timeline.n_sections + 4


def test_pausing_and_resuming_changes_nothing() -> None:
    problem = tight_problem(150, 4, capacity=4096, alignment=64)
    timeline = build_timeline(problem)
    whole = _Search(problem, timeline, 4096, "TAW")
    assert whole.run(10**9) == kernel.SOLVED
    stepped = _Search(problem, timeline, 4096, "TAW")
    code = kernel.PAUSED
    while code == kernel.PAUSED:
        code = stepped.run(stepped.nodes + 7)
    assert code == kernel.SOLVED and stepped.nodes == whole.nodes
    assert np.array_equal(stepped.solution, whole.solution)


def test_timeline_sections_are_the_maximal_live_sets() -> None:
    problem = parse_minimalloc_csv(EXAMPLE, 12)[0]
    timeline = build_timeline(problem)
    sections = [sorted(timeline.section_buffers[timeline.section_ptr[s]:
                                                timeline.section_ptr[s + 1]].tolist())
                for s in range(timeline.n_sections)]
    # Live sets: {b1,b3,b5} on [0,3), {b2,b3,b5} on [3,9), {b4,b5} on [9,21).
    assert sections == [[0, 2, 4], [1, 2, 4], [3, 4]]
    assert timeline.cuts.tolist() == [2, 1]  # b3, b5 cross the first boundary; b5 the second
    assert timeline.section_lower.tolist() == [0, 1, 0, 2, 0]
    assert timeline.section_upper.tolist() == [1, 2, 2, 3, 3]


def test_bad_input_names_the_field() -> None:
    problem = parse_minimalloc_csv(EXAMPLE, 12)[0]
    fixed = AllocationProblem(problem.lower, problem.upper, problem.size, 12,
                              fixed_offsets=np.array([-1, -1, -1, -1, 0]))
    for call, field in ((lambda: solve_exact(fixed), "fixed_offsets"),
                        (lambda: solve_exact(problem, time_limit=0), "time_limit"),
                        (lambda: solve_exact(problem, heuristics=("WAX",)), "heuristics"),
                        (lambda: solve_exact(problem, capacity=0), "capacity")):
        with pytest.raises(InputError) as error:
            call()
        assert error.value.field == field


QUICK = ("C", "J", "K")


@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc's benchmark files are absent")
@pytest.mark.parametrize("name", QUICK)
def test_challenging_files_solved_at_their_capacity(name: str) -> None:
    problem = read_minimalloc_csv(CHALLENGING / f"{name}.1048576.csv")
    result = solve_exact(problem, time_limit=30)
    assert result.status == "optimal"
    assert validate_allocation(problem, result.offsets) <= 1048576


@pytest.mark.slow
@pytest.mark.skipif(not CHALLENGING.is_dir(), reason="MiniMalloc's benchmark files are absent")
@pytest.mark.parametrize("name", "ABCDEFGHIJK")
def test_every_challenging_file_solved_at_capacity(name: str) -> None:
    problem = read_minimalloc_csv(CHALLENGING / f"{name}.1048576.csv")
    result = solve_exact(problem, time_limit=60)
    assert result.status == "optimal"
    validate_allocation(problem, result.offsets)
    if problem.max_live() == problem.capacity:
        assert solve_exact(problem, capacity=problem.capacity - 1).status == "infeasible"


SOLVED_FULL_STRIPS = (0, 1, 2, 3, 4, 6)
"""The seeds of ``tight_problem(100 + 47 * seed, seed, capacity=2**20)`` the search solves
within 300,000 nodes (measured); the others end "unknown" (a wrong piece low in a full strip
still shows only far higher)."""


@pytest.mark.slow
@pytest.mark.parametrize("holes", [0.0, 0.2])
@pytest.mark.parametrize("seed", range(20))
def test_tight_instances_up_to_a_thousand_buffers(seed: int, holes: float) -> None:
    problem = tight_problem(100 + 47 * seed, seed, capacity=2**20, holes=holes)
    result = solve_exact(problem, time_limit=60, node_limit=300_000)
    if result.status == "optimal":
        assert validate_allocation(problem, result.offsets) == 2**20
    else:
        assert result.status == "unknown"
    if holes == 0.0 and seed in SOLVED_FULL_STRIPS:
        assert result.status == "optimal"
    assert solve_exact(problem, capacity=2**20 - 1).status == "infeasible"
