"""Tests of the logged-bandit record: its checks of propensities and of the simulated truth,
and sub-logs that keep their rows aligned."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger


@pytest.fixture(scope="module")
def log() -> LoggedBanditData:
    return SyntheticLogger(6, 5, reward="logistic", logging_policy="softmax", beta=2.0,
                           seed=3).sample(400)


def test_record_rejects_bad_propensities_and_inconsistent_truth(log: LoggedBanditData) -> None:
    with pytest.raises(InstanceFormatError, match=r"\(0, 1\]"):
        LoggedBanditData(log.contexts, log.actions, log.rewards,
                         np.where(np.arange(log.n_rounds) == 5, 0.0, log.propensities))
    with pytest.raises(InstanceFormatError, match="propensities must equal"):
        LoggedBanditData(log.contexts, log.actions, log.rewards, log.propensities * 0.5,
                         logging_probabilities=log.logging_probabilities)
    with pytest.raises(InstanceFormatError, match="n_actions"):
        LoggedBanditData(log.contexts, log.actions, log.rewards, log.propensities, n_actions=2)


def test_take_keeps_rows_aligned(log: LoggedBanditData) -> None:
    rows = np.array([5, 1, 7])
    part = log.take(rows)
    assert len(part) == 3 and part.n_actions == log.n_actions
    assert np.array_equal(part.expected_rewards, log.expected_rewards[rows])
    assert np.array_equal(part.propensities, log.propensities[rows])
