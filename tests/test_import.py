"""Importing the package must stay light: it registers the ids and loads no heavy dependency."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("torch", "ortools", "numba")


def test_import_is_light_and_registers_the_ids() -> None:
    code = textwrap.dedent(f"""
        import json
        import sys

        import decisiongym
        from gymnasium.envs.registration import registry

        heavy = [name for name in {HEAVY!r} if name in sys.modules]
        spec = registry.get("decisiongym/JobShop-v0")
        print(json.dumps({{
            "heavy": heavy,
            "ids": sorted(key for key in registry if key.startswith("decisiongym/")),
            "entry_point": spec.entry_point if spec else None,
            "vector_entry_point": spec.vector_entry_point if spec else None,
        }}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["heavy"] == []
    assert "decisiongym/JobShop-v0" in report["ids"]
    assert report["entry_point"] == "decisiongym.envs.jobshop.env:JobShopEnv"
    assert report["vector_entry_point"] == "decisiongym.envs.jobshop.vector:JobShopVectorEnv"


def test_heavy_modules_are_detectable() -> None:
    # Guards the check above: the same probe does see a heavy module once it is imported.
    done = subprocess.run(
        [sys.executable, "-c", "import sys, decisiongym.envs.jobshop.sim; "
         "print('numba' in sys.modules)"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
