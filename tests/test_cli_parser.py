"""The parser of the ``decisiongym`` command: every subcommand's ``--help`` works and stays light,
every subcommand has a handler, and every method choice is read from a family's description."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

import pytest

from decisiongym.cli import build_parser, main
from decisiongym.envs import families, family

HEAVY = ("numba", "torch", "ortools")
# The options that choose a method of the family, by subcommand; train's --method picks a
# training algorithm of the one learned method, not a method of the family.
METHOD_OPTIONS = ("method", "scheduler", "agent")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands directly under ``parser``, by name."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def walk(parser: argparse.ArgumentParser,
         path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every (sub)command with its path, the top parser first."""
    paths = [(path, parser)]
    for name, child in subparsers(parser).items():
        paths.extend(walk(child, (*path, name)))
    return paths


COMMANDS = walk(build_parser())
LEAVES = [(path, parser) for path, parser in COMMANDS if path and not subparsers(parser)]


def test_the_commands_are_the_verbs_times_the_families() -> None:
    leaves = {path for path, _ in LEAVES}
    assert leaves == {
        ("list",),
        ("solve", "jobshop"), ("solve", "soc"),
        ("simulate", "bandits"), ("simulate", "soc"),
        ("train", "jobshop"), ("train", "soc"),
        ("bench", "jobshop"), ("bench", "bandits"), ("bench", "soc"),
        ("solve", "memory"), ("trace", "memory"), ("bench", "memory"),
    }
    names = {each.name for each in families()}
    assert {path[1] for path in leaves if len(path) == 2} == names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_every_help_works(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["usage: decisiongym", *path]))
    assert "-h, --help" in out


@pytest.mark.parametrize(("path", "parser"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_has_a_handler(path: tuple[str, ...],
                                     parser: argparse.ArgumentParser) -> None:
    assert callable(parser.get_default("handler")), f"{' '.join(path)} runs nothing"


def method_choices(parser: argparse.ArgumentParser) -> dict[str, tuple[str, ...]]:
    return {action.dest: tuple(action.choices) for action in parser._actions
            if action.dest in METHOD_OPTIONS and action.choices is not None}


@pytest.mark.parametrize(("path", "parser"),
                         [(p, parser) for p, parser in LEAVES if len(p) == 2 and p[0] != "train"],
                         ids=[" ".join(p) for p, _ in LEAVES if len(p) == 2 and p[0] != "train"])
def test_every_method_choice_comes_from_the_family(path: tuple[str, ...],
                                                   parser: argparse.ArgumentParser) -> None:
    described = family(path[1])
    known = set(described.baseline_names) | set(described.agents)
    for dest, choices in method_choices(parser).items():
        assert set(choices) <= known, f"{' '.join(path)} --{dest} offers {choices}"


def test_the_method_choices_are_the_families_lists() -> None:
    by_path = dict(LEAVES)
    jobshop, soc, memory = family("jobshop"), family("soc"), family("memory")
    assert method_choices(by_path["solve", "jobshop"]) == {
        "method": jobshop.baseline_names + jobshop.agents}
    assert method_choices(by_path["solve", "soc"]) == {"method": soc.baselines["static"]}
    # DS3's own rules (met, stf) join the choices once, for --mode ds3.
    assert method_choices(by_path["simulate", "soc"]) == {"scheduler": tuple(dict.fromkeys(
        soc.baselines["online"] + soc.agents + soc.baselines["online-ds3"]))}
    # both questions' methods: the command refuses a method of the other mode by name
    assert method_choices(by_path["solve", "memory"]) == {
        "method": memory.baseline_names + memory.agents}


def test_every_help_and_list_import_nothing_heavy() -> None:
    paths = [list(path) for path, _ in COMMANDS]
    code = textwrap.dedent(f"""
        import contextlib
        import io
        import json
        import sys

        from decisiongym.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            for path in {paths!r}:
                try:
                    main([*path, "--help"])
                except SystemExit:
                    pass
            main(["list"])
        print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "decisiongym.cli", "list"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("decisiongym/JobShop-v0 ")
