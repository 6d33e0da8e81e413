"""Logged bandit feedback: the record every reader, writer and estimator shares.

A log holds, for each of ``n`` rounds, the context a logging policy saw, the action it took,
the reward that action earned and the probability (propensity) with which it was taken. Off-policy
estimators (:mod:`decisiongym.bench.bandits.offpolicy`) turn such a log into the value of another
policy; on simulated logs (:mod:`decisiongym.envs.offline.synthetic_bandit_log`) the true
expected rewards and the logging policy's full probabilities are kept as well, so every estimate
can be checked against the truth. Real logs in the Open Bandit Dataset's layout are read and
written by :mod:`decisiongym.envs.offline.obd_csv`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from decisiongym.envs.core.errors import InstanceFormatError

__all__ = ["LoggedBanditData"]



def _float_array(value: object, name: str, ndim: int) -> np.ndarray:
    """Return ``value`` as a read-only float64 array of ``ndim`` dimensions, or raise."""
    try:
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise InstanceFormatError(f"{name} must be an array of numbers ({exc})") from exc
    if arr.ndim != ndim:
        raise InstanceFormatError(f"{name} must have {ndim} dimension(s), found shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InstanceFormatError(f"{name} must be finite numbers, found NaN or infinity")
    arr.flags.writeable = False
    return arr


def _frozen(arr: np.ndarray) -> np.ndarray:
    out = np.array(arr, copy=True)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class LoggedBanditData:
    """A log of bandit feedback: one row per round of the logging policy.

    :param contexts: ``(n, d)`` context of each round.
    :param actions: ``(n,)`` action taken, ``0 .. n_actions - 1``.
    :param rewards: ``(n,)`` reward observed for that action.
    :param propensities: ``(n,)`` probability the logging policy gave that action, in (0, 1].
    :param n_actions: number of actions ``K``; 0 infers ``actions.max() + 1``.
    :param positions: ``(n,)`` 0-based slot of the recommendation (OBD), or ``None``.
    :param action_context: ``(K, m)`` features of each action, or ``None``.
    :param expected_rewards: ``(n, K)`` true expected reward of every action in every round
        (simulated logs only), or ``None``.
    :param logging_probabilities: ``(n, K)`` the logging policy's full action distribution in
        every round (simulated logs only), or ``None``.
    :param timestamps: ``(n,)`` impression times as text, or ``None``.
    :param user_features: ``(n, u)`` raw categorical user features as text, or ``None``.
    :param affinities: ``(n, p)`` raw affinity columns, or ``None``.
    :param feature_names: name of each context column, or ``None``.
    """

    contexts: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    propensities: np.ndarray
    n_actions: int = 0
    positions: np.ndarray | None = None
    action_context: np.ndarray | None = None
    expected_rewards: np.ndarray | None = None
    logging_probabilities: np.ndarray | None = None
    timestamps: np.ndarray | None = None
    user_features: np.ndarray | None = None
    affinities: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        contexts = _float_array(self.contexts, "contexts", 2)
        n = contexts.shape[0]
        if n < 1:
            raise InstanceFormatError("a log needs at least one round, found 0 rows")
        set_(self, "contexts", contexts)
        actions = np.asarray(self.actions)
        if actions.shape != (n,):
            raise InstanceFormatError(f"actions must have shape ({n},), found {actions.shape}")
        if actions.dtype.kind not in "iu":
            if actions.dtype.kind != "f" or not np.array_equal(actions, np.round(actions)):
                raise InstanceFormatError("actions must be integers")
        actions = actions.astype(np.int64)
        if actions.min() < 0:
            raise InstanceFormatError(f"actions must be >= 0, found {int(actions.min())}")
        n_actions = int(self.n_actions) if self.n_actions else int(actions.max()) + 1
        if actions.max() >= n_actions:
            raise InstanceFormatError(
                f"actions must be < n_actions = {n_actions}, found {int(actions.max())}"
            )
        set_(self, "actions", _frozen(actions))
        set_(self, "n_actions", n_actions)
        rewards = _float_array(self.rewards, "rewards", 1)
        if rewards.shape != (n,):
            raise InstanceFormatError(f"rewards must have shape ({n},), found {rewards.shape}")
        set_(self, "rewards", rewards)
        propensities = _float_array(self.propensities, "propensities", 1)
        if propensities.shape != (n,):
            raise InstanceFormatError(
                f"propensities must have shape ({n},), found {propensities.shape}"
            )
        bad = np.flatnonzero((propensities <= 0) | (propensities > 1))
        if bad.size:
            raise InstanceFormatError(
                f"propensities must lie in (0, 1], found {float(propensities[bad[0]])} "
                f"in row {int(bad[0])}"
            )
        set_(self, "propensities", propensities)
        if self.positions is not None:
            positions = np.asarray(self.positions)
            if positions.shape != (n,) or positions.dtype.kind not in "iu" or positions.min() < 0:
                raise InstanceFormatError(f"positions must be {n} integers >= 0")
            set_(self, "positions", _frozen(positions.astype(np.int64)))
        if self.action_context is not None:
            action_context = _float_array(self.action_context, "action_context", 2)
            if action_context.shape[0] != n_actions:
                raise InstanceFormatError(
                    f"action_context must have one row per action ({n_actions}), "
                    f"found {action_context.shape[0]}"
                )
            set_(self, "action_context", action_context)
        for name in ("expected_rewards", "logging_probabilities"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = _float_array(value, name, 2)
            if arr.shape != (n, n_actions):
                raise InstanceFormatError(
                    f"{name} must have shape ({n}, {n_actions}), found {arr.shape}"
                )
            set_(self, name, arr)
        if self.logging_probabilities is not None:
            probs = self.logging_probabilities
            if (probs < 0).any() or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-8):
                raise InstanceFormatError("logging_probabilities rows must be distributions")
            if not np.allclose(probs[np.arange(n), actions], propensities, rtol=1e-9, atol=0):
                raise InstanceFormatError(
                    "propensities must equal logging_probabilities at the logged actions"
                )
        for name in ("timestamps", "user_features"):
            value = getattr(self, name)
            if value is None:
                continue
            arr = np.asarray(value, dtype=str)
            if arr.shape[0] != n or arr.ndim != (1 if name == "timestamps" else 2):
                raise InstanceFormatError(f"{name} must have one row per round ({n})")
            set_(self, name, _frozen(arr))
        if self.affinities is not None:
            affinities = _float_array(self.affinities, "affinities", 2)
            if affinities.shape[0] != n:
                raise InstanceFormatError(f"affinities must have one row per round ({n})")
            set_(self, "affinities", affinities)
        if self.feature_names is not None:
            names = tuple(str(s) for s in self.feature_names)
            if len(names) != contexts.shape[1]:
                raise InstanceFormatError(
                    f"feature_names must name the {contexts.shape[1]} context columns, "
                    f"found {len(names)} names"
                )
            set_(self, "feature_names", names)

    @property
    def n_rounds(self) -> int:
        """Number of logged rounds ``n``."""
        return int(self.contexts.shape[0])

    @property
    def dim(self) -> int:
        """Context dimension ``d``."""
        return int(self.contexts.shape[1])

    def __len__(self) -> int:
        return self.n_rounds

    def take(self, rows: np.ndarray | slice) -> LoggedBanditData:
        """The sub-log of the given rows (an index array, a boolean mask or a slice).

        :param rows: which rounds to keep.
        :return: a new record sharing the per-action fields.
        """
        def pick(arr: np.ndarray | None) -> np.ndarray | None:
            return None if arr is None else arr[rows]

        return replace(
            self,
            contexts=self.contexts[rows],
            actions=self.actions[rows],
            rewards=self.rewards[rows],
            propensities=self.propensities[rows],
            positions=pick(self.positions),
            expected_rewards=pick(self.expected_rewards),
            logging_probabilities=pick(self.logging_probabilities),
            timestamps=pick(self.timestamps),
            user_features=pick(self.user_features),
            affinities=pick(self.affinities),
        )
