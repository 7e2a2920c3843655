"""Run the Ray tests inside a loopback-only network namespace, from a plain ``pytest`` run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import loopback_only

HERE = Path(__file__).parent


@pytest.mark.timeout(400)
@pytest.mark.skipif(loopback_only(), reason="already inside the namespace: the tests run directly")
def test_ray_suite_in_loopback_namespace() -> None:
    if os.environ.get("TUNESMITH_RAY_NAMESPACE_RUN"):
        pytest.skip("nested run: the namespace did not come up loopback-only")
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        pytest.skip("needs root, unshare and ip to make a loopback-only network namespace")
    inner = f"ip link set lo up && exec {sys.executable} -m pytest -q -p no:cacheprovider {HERE}"
    result = subprocess.run(
        ["unshare", "-n", "sh", "-c", inner],
        capture_output=True,
        text=True,
        timeout=380,
        cwd=HERE.parent.parent,
        env={**os.environ, "TUNESMITH_RAY_NAMESPACE_RUN": "1"},
    )
    tail = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    # Only this runner itself may skip inside the namespace.
    assert " passed" in summary and "failed" not in summary and "1 skipped" in summary, tail
