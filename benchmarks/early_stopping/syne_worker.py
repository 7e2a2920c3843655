"""Syne Tune's entry point: run the example's train.py for one configuration and report each
epoch's validation accuracy as it is printed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from syne_tune import Reporter

from benchmarks.early_stopping.common import run_script


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--configs", required=True)
    parser.add_argument("--logs", required=True)
    args, _ = parser.parse_known_args()
    configs = json.loads(Path(args.configs).read_text())
    report = Reporter()

    def on_epoch(epoch: int, accuracy: float) -> None:
        report(epoch=epoch, validation_accuracy=accuracy)

    # A configuration started twice (Syne Tune may start one more trial as it winds down)
    # gets its own log, so every epoch that really ran is counted.
    log = Path(args.logs) / f"{args.index:03d}.log"
    attempt = 1
    while log.exists():
        attempt += 1
        log = Path(args.logs) / f"{args.index:03d}-{attempt}.log"
    run_script(configs[args.index], log, on_epoch)


if __name__ == "__main__":
    main()
