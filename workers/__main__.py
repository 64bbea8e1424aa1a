"""`python -m workers [--burst] [--name NAME]`: one worker from the environment's settings
(what `python -m bot worker` runs; tests start it as a subprocess)."""

from __future__ import annotations

import argparse
import logging

from config.settings import Settings
from workers.runner import run_worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--name", default=None, help="the rq worker name")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run_worker(Settings.from_env(), burst=args.burst, name=args.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
