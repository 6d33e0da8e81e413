from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from decisiongym.agents.jobshop.cp_imitation import (
    CPImitationConfig,
    supervised_step,
    train_cp_imitation,
)
from decisiongym.agents.jobshop.expert import demonstration_batch, follow_schedule
from decisiongym.agents.jobshop.inference import rollout
from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig
from decisiongym.baselines.jobshop.cpsat import solve_cpsat
from decisiongym.baselines.jobshop.dispatching import solve_rule
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.solution import validate

SMALL = NetworkConfig(embed_dim=16, op_dim=8, hidden_dim=32)


@pytest.mark.parametrize("rule", ["spt", "mwkr", "fdd-mwkr"])
def test_following_a_non_delay_schedule_reproduces_it(rule: str) -> None:
    instance = RandomInstanceGenerator(10, 6).sample(4)
    target = solve_rule(instance, rule, "non-delay")
    demo = follow_schedule(instance, target.schedule.start, "non-delay")
    assert demo.makespan == target.makespan
    assert sorted(np.bincount(demo.actions)) == [instance.n_ops] * instance.n_jobs


def test_following_cp_sat_never_breaks_the_scheme() -> None:
    instance = load_instance("ft06")
    cp = solve_cpsat(instance, time_limit=5, workers=1)
    assert cp.makespan == 55
    demo = follow_schedule(instance, cp.schedule.start, "non-delay")
    # non-delay schedules need not contain the optimum; the replay is a valid non-delay one
    assert demo.makespan >= 55
    batch, choices, answers = demonstration_batch([demo], "non-delay", (10, 10))
    assert batch["operations"].shape[1:3] == (10, 10)
    # every decision has a right answer among its choices, which are legal jobs
    assert (answers <= choices).all() and answers.any(1).all()
    assert (choices <= (batch["action_mask"] > 0)).all()
    assert (choices.sum(1) >= 2).all()


def test_cp_sat_completes_a_fixed_prefix_and_keeps_it() -> None:
    instance = RandomInstanceGenerator(8, 5).sample(2)
    start = solve_rule(instance, "spt", "non-delay").schedule.start
    fixed = np.where(start <= np.median(start), start, -1)
    cp = solve_cpsat(instance, time_limit=5, workers=1, fixed_starts=fixed,
                     deterministic_limit=2.0)
    assert cp.schedule is not None
    validate(instance, cp.schedule)
    kept = fixed >= 0
    np.testing.assert_array_equal(cp.schedule.start[kept], fixed[kept])
    again = solve_cpsat(instance, time_limit=5, workers=1, fixed_starts=fixed,
                        deterministic_limit=2.0)
    assert again.makespan == cp.makespan
    with pytest.raises(ValueError, match="fixed_starts has shape"):
        solve_cpsat(instance, fixed_starts=fixed[:, :2])
    with pytest.raises(ValueError, match="deterministic_limit must be > 0"):
        solve_cpsat(instance, deterministic_limit=0.0)


def test_imitation_loss_falls_on_fixed_demonstrations() -> None:
    torch.manual_seed(0)
    generator = RandomInstanceGenerator((6, 10), (4, 6))
    rng = np.random.default_rng(0)
    demos = []
    for _ in range(4):
        instance = generator(rng)
        target = solve_rule(instance, "mwkr", "non-delay").schedule.start
        demos.append(follow_schedule(instance, target, "non-delay"))
    network = DispatchNetwork(SMALL)
    optimizer = torch.optim.Adam(network.parameters(), lr=3e-3)
    losses = [supervised_step(network, optimizer, demos, "non-delay", (10, 6))
              for _ in range(60)]
    assert all(loss is not None for loss in losses)
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])


def test_tiny_cp_guided_training_improves_and_writes_a_checkpoint(tmp_path: Path) -> None:
    config = CPImitationConfig(
        iterations=12, min_size=(5, 4), max_size=(8, 5), cp_time=0.2, cp_wall_time=2.0,
        updates=2, batch_demos=4, eval_every=6, eval_instances=2, network=SMALL,
        checkpoint_dir=str(tmp_path / "checkpoints"), log_dir=str(tmp_path / "tb"),
        out=str(tmp_path / "rule.pt"))
    seen = []
    network, log = train_cp_imitation(config, lambda it, stats: seen.append(it))
    assert seen == list(range(1, 13))
    # a random network leaves CP-SAT plenty to improve
    assert log.improvements >= 2
    assert len(log.losses) > 0 and all(np.isfinite(log.losses))
    assert [it for it, _ in log.scores] == [0, 6, 12]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "iteration_00006.pt", "iteration_00012.pt"]
    assert any((tmp_path / "tb").iterdir())
    loaded = DispatchNetwork.load(tmp_path / "rule.pt")
    assert loaded.metadata["method"] == "cp-imitation"
    instance = RandomInstanceGenerator(15, 10).sample(9)
    validate(instance, rollout(loaded, instance).schedule)
    again, _ = train_cp_imitation(CPImitationConfig(**{**config.__dict__, "out": None,
                                                       "checkpoint_dir": None,
                                                       "log_dir": None}))
    for key, value in network.state_dict().items():
        assert torch.equal(value, again.state_dict()[key]), key
