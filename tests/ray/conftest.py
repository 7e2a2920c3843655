"""A real two-node Ray cluster on 127.0.0.1, inside a loopback-only network namespace.

Ray probes a public DNS address to learn its own IP; so nothing ever leaves the machine, the Ray
tests only run where the network is loopback only. Plain ``pytest`` handles that by itself:
``test_namespace.py`` re-runs this folder under ``unshare -n`` (with ``lo`` brought up) when it
can (root, ``unshare`` and ``ip`` present), and the tests here skip outside the namespace.
One command, from the repository root, runs them directly:

    unshare -n sh -c 'ip link set lo up && exec .venv/bin/pytest tests/ray'
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "ray", reason="the Ray executor needs the 'ray' extra: pip install 'tunesmith[ray]'"
)


def loopback_only() -> bool:
    """True inside a network namespace whose only interface is ``lo``."""
    try:
        return [name for _, name in socket.if_nameindex()] == ["lo"]
    except OSError:
        return False


requires_namespace = pytest.mark.skipif(
    not loopback_only(),
    reason="Ray tests run only in a loopback-only network namespace "
    "(test_namespace.py runs them there; or: unshare -n sh -c 'ip link set lo up && "
    "exec .venv/bin/pytest tests/ray')",
)


class TwoNodes:
    """The cluster, its worker node (tests may kill it) and a way to add another."""

    def __init__(self) -> None:
        from ray.cluster_utils import Cluster

        self.cluster = Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 1,
                "node_ip_address": "127.0.0.1",
                "include_dashboard": False,
                "_system_config": {
                    "health_check_period_ms": 1000,
                    "health_check_failure_threshold": 6,
                    "health_check_initial_delay_ms": 0,
                },
            },
        )
        self.head_id: str = self.cluster.head_node.node_id
        self.worker: Any = self.add_worker()

    def add_worker(self) -> Any:
        node = self.cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        self.cluster.wait_for_nodes()
        return node

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def shutdown(self) -> None:
        import ray

        ray.shutdown()
        self.cluster.shutdown()


@pytest.fixture(scope="session")
def cluster() -> Iterator[TwoNodes]:
    if not loopback_only():
        pytest.skip("not in a loopback-only network namespace")
    import ray

    nodes = TwoNodes()
    ray.init(address=nodes.address, include_dashboard=False, log_to_driver=False)
    try:
        yield nodes
    finally:
        nodes.shutdown()


def job_node_ids(home: Path, tuning_job: str) -> dict[str, list[str]]:
    """Node ids each training job printed (``node=<id>``), per job, from its log file."""
    out: dict[str, list[str]] = {}
    for log in sorted((home / "jobs" / tuning_job).glob("*/logs/training.log")):
        lines = log.read_text().splitlines()
        out[log.parent.parent.name] = [ln[5:] for ln in lines if ln.startswith("node=")]
    return out
