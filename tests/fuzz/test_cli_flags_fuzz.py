"""Every numeric flag of the command line, walked from its parser, given NaN, infinities, a
negative number, zero and a huge number: exit status 2 with one line on stderr that names the
flag, or (for a value in range) a command that runs to exit status 0 or 1. Commands that would
run for minutes are only parsed with values in range. A flag added without a bounded numeric
type, or holding numbers as text, fails the walk's own tests."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fuzz_harness import CASE_TIMEOUT, OUTCOMES, Hang, listing, time_guard

from decisiongym.cli import build_parser, main
from decisiongym.envs import families

PROBES = ("nan", "inf", "-inf", "-1", "0", str(10**30))
"""What every numeric flag is given."""

BUILTIN_POSITIONALS = {
    "instance": "ft06",
    "dag": "topcuoglu",
    "workload": "mlp-b32",
    "factory": "decisiongym.envs.memory.zoo:mlp",
    "env_id": next(env.id for each in families() if each.name == "bandits" for env in each.envs
                   if "MAB" in env.id),
}
"""A valid built-in name for each required positional, by its dest."""

CHEAP_CHOICES = {"method": ("spt", "heft", "cp-imitation"), "scheduler": ("etf",),
                 "agent": ("ucb1",)}
"""The choice a required option gets, where the first listed would be slow."""

RUNNABLE = {
    ("solve", "jobshop"): [],
    ("solve", "soc"): ["--platform", "topcuoglu"],
    ("simulate", "soc"): ["--jobs", "20"],
    ("simulate", "bandits"): ["--horizon", "50", "--seeds", "1"],
    ("solve", "memory"): [],
}
"""The commands cheap enough to run with a value in range, with what keeps them small; the
others (training, benchmarks) are only parsed."""

TEXT_OPTIONS = frozenset({
    "method", "scheme", "checkpoint", "gantt", "platform", "mix", "scheduler", "noise_model",
    "agent", "param", "env_param", "out", "init", "resume", "checkpoint_dir", "log_dir",
    "instances", "cpsat_instances", "bounds", "out_dir", "backend", "address", "suites", "obd",
    "mode", "hardware", "objective", "order", "name", "data",
})
"""Options whose value is not a number (names, paths, lists, KEY=VALUE pairs), by dest. A new
option must be here or have a numeric type: a number read as text escapes the walk."""

BOUNDED_TYPES = ("number", "integer")
"""The names of ``decisiongym.cli.common``'s bounded argument types."""


def commands(parser: argparse.ArgumentParser,
             path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                            argparse.ArgumentParser]]:
    """Every leaf subcommand with its path."""
    children = [action for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)]
    if not children and path:
        yield path, parser
    for action in children:
        for name, child in action.choices.items():
            yield from commands(child, (*path, name))


def takes_a_value(action: argparse.Action) -> bool:
    return bool(action.option_strings) and action.nargs != 0 and not isinstance(
        action, (argparse._HelpAction, argparse._VersionAction))


def is_numeric(action: argparse.Action) -> bool:
    """Whether the option reads a number: its type turns "1" into one."""
    if action.type is None or not callable(action.type):
        return False
    try:
        value = action.type("1")
    except (argparse.ArgumentTypeError, ValueError, TypeError):
        return False
    return isinstance(value, int | float) and not isinstance(value, bool)


PARSER = build_parser()
LEAVES = dict(commands(PARSER))
NUMERIC_FLAGS = [(path, action.option_strings[-1]) for path, parser in LEAVES.items()
                 for action in parser._actions if takes_a_value(action) and is_numeric(action)]


def minimum_argv(path: tuple[str, ...], leaving_out: str) -> list[str]:
    """The command with what it requires (and, when it runs, what keeps it small), without the
    flag ``leaving_out``."""
    parser = LEAVES[path]
    argv = list(path)
    for action in parser._actions:
        if not action.option_strings and action.required:
            argv.append(BUILTIN_POSITIONALS[action.dest])
        elif action.option_strings and action.required:
            choices = list(action.choices or ())
            preferred = [c for c in CHEAP_CHOICES.get(action.dest, ()) if c in choices]
            value = (preferred or choices or CHEAP_CHOICES.get(action.dest, ("x",)))[0]
            argv += [action.option_strings[-1], value]
    extras = RUNNABLE.get(path, [])
    for i in range(0, len(extras), 2):
        if extras[i] != leaving_out:
            argv += extras[i:i + 2]
    return argv


def run(argv: list[str], parse_only: bool) -> int:
    """The exit status of the command (of its parsing only, when ``parse_only``)."""
    try:
        with time_guard(CASE_TIMEOUT * 3, " ".join(argv)):
            if parse_only:
                PARSER.parse_args(argv)
                return 0
            return main(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    except Hang as exc:
        raise AssertionError(f"hang: {exc}") from None


def check_outcome(label: str, flag: str, code: int, err: str) -> None:
    """Exit 2 with one error line naming ``flag`` (after argparse's usage lines), or 0/1."""
    assert "Traceback" not in err, f"{label}: {err}"
    if code == 2:
        errors = [line for line in err.splitlines() if "error:" in line]
        assert len(errors) == 1 and err.rstrip().endswith(errors[0]), f"{label}: {err!r}"
        assert flag in errors[0], f"{label}: the error does not name {flag}: {errors[0]}"
        OUTCOMES[label]["clean error"] += 1
    else:
        assert code in (0, 1), f"{label}: exit status {code}: {err}"
        OUTCOMES[label]["correct result"] += 1


@pytest.mark.parametrize("value", PROBES)
@pytest.mark.parametrize(("path", "flag"), NUMERIC_FLAGS,
                         ids=[f"{' '.join(path)} {flag}" for path, flag in NUMERIC_FLAGS])
def test_numeric_flag(path: tuple[str, ...], flag: str, value: str, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    label = f"flag {' '.join(path)} {flag}"
    argv = [*minimum_argv(path, flag), f"{flag}={value}"]
    code = run(argv, parse_only=True)
    if code == 0 and path in RUNNABLE:
        capsys.readouterr()
        code = run(argv, parse_only=False)
    out, err = capsys.readouterr()
    OUTCOMES[label]["tried"] += 1
    check_outcome(label, flag, code, err)
    if value in ("nan", "inf", "-inf", str(10**30)):
        assert code == 2, f"{label}: {value} was accepted"
    assert not listing(tmp_path), f"{label}: files left behind: {sorted(listing(tmp_path))}"


@pytest.mark.parametrize("option", ["--param", "--env-param"])
@pytest.mark.parametrize("value", [*PROBES, "1" * 40, "1e400"])
def test_numeric_key_value_options(option: str, value: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    label = f"flag simulate bandits {option}"
    key = "alpha" if option == "--param" else "horizon"
    argv = [*minimum_argv(("simulate", "bandits"), option), option, f"{key}={value}"]
    code = run(argv, parse_only=False)
    out, err = capsys.readouterr()
    OUTCOMES[label]["tried"] += 1
    check_outcome(label, option, code, err)
    if value in ("nan", "inf", "-inf", "1" * 40, "1e400"):
        assert code == 2, f"{label}: {value} was accepted"
    assert not listing(tmp_path)


def test_the_walk_finds_the_numeric_flags() -> None:
    found = {(" ".join(path), flag) for path, flag in NUMERIC_FLAGS}
    assert {("solve jobshop", "--time-limit"), ("simulate soc", "--warmup-jobs"),
            ("train soc", "--episodes"), ("bench jobshop", "--speed-seconds"),
            ("simulate bandits", "--horizon"), ("solve memory", "--capacity"),
            ("bench memory", "--exact-time-limit")} <= found
    assert len(found) >= 25


def test_every_option_is_a_bounded_number_or_text() -> None:
    """A numeric option has a bounded type of the CLI's own; every other option is listed as
    text, so that a new flag is classified before it ships."""
    unclassified, unbounded = [], []
    for path, parser in LEAVES.items():
        for action in parser._actions:
            if not takes_a_value(action):
                continue
            where = f"{' '.join(path)} {action.option_strings[-1]}"
            if is_numeric(action):
                if getattr(action.type, "__name__", "") not in BOUNDED_TYPES:
                    unbounded.append(where)
            elif action.dest not in TEXT_OPTIONS:
                unclassified.append(where)
            assert action.type not in (int, float), f"{where} takes a bare {action.type}"
    assert not unbounded, f"numeric flags without a bounded type: {unbounded}"
    assert not unclassified, f"options neither numeric nor listed as text: {unclassified}"


def test_every_required_positional_has_a_builtin_name() -> None:
    for path, parser in LEAVES.items():
        for action in parser._actions:
            if not action.option_strings and action.required:
                assert action.dest in BUILTIN_POSITIONALS, (path, action.dest)


def test_runnable_commands_exist() -> None:
    assert set(RUNNABLE) <= set(LEAVES)


def test_a_parameter_value_the_agent_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    """Once a ValueError traceback from the agent's constructor."""
    argv = [*minimum_argv(("simulate", "bandits"), "--param"), "--param", "alpha=-1"]
    assert run(argv, parse_only=False) == 2
    err = capsys.readouterr().err
    assert err.strip().startswith("decisiongym: error: --param: agent ucb1 refuses them: alpha")
