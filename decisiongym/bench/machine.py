"""What a benchmark ran on: cores, CPU model, package versions, the command line."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone
from importlib import metadata

PACKAGES = ("decisiongym", "numpy", "numba", "ortools", "gymnasium", "torch",
            "stable-baselines3", "sb3-contrib", "JSSEnv", "job-shop-lib")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed version of each package, ``"not installed"`` where absent."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def header_lines(command: str) -> list[str]:
    """Markdown lines naming the command, date, machine and versions of a results file."""
    versions = ", ".join(f"{k} {v}" for k, v in package_versions().items())
    return [
        f"Written by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.",
        "",
        f"Machine: {usable_cores()} cores, {cpu_model()}, Python {sys.version.split()[0]}, "
        f"{platform.system()} {platform.machine()}.",
        "",
        f"Packages: {versions}.",
    ]
