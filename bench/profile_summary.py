"""Where a profiled process spent its time: top functions from py-spy's collapsed stacks.

    .venv/bin/python bench/profile_summary.py worker.prof [--top 25]

Prints, for the busy samples (idle waits dropped), the share each function
holds inclusively (it or anything it called) and by itself, and each
top-level area (Temporal SDK, workflow sandbox, SQLAlchemy, Vigil's code).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|epoll|wait|_wait_for_tstate_lock|acquire|sleep|_worker "
                  r"\(concurrent/futures/thread.py)\b")
FRAME = re.compile(r"^(?P<name>[^ ]+) \((?P<file>[^:)]+)")


def frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return [f for f in stack.split(";") if f], int(count)


def label(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "python3.11/"):
        path = path.split(marker, 1)[-1]
    return f"{match['name']} ({path})"


def area(frame: str) -> str:
    path = FRAME.match(frame)["file"] if FRAME.match(frame) else frame
    for name in ("temporalio/worker/workflow_sandbox", "temporalio", "sqlalchemy", "sqlmodel",
                 "pydantic", "json", "asyncio", "sqlite3", "psycopg"):
        if name in path:
            return name
    return "vigil" if "site-packages" not in path and "python3.11" not in path else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    inclusive, own, areas = Counter[str](), Counter[str](), Counter[str]()
    busy = idle = 0
    for line in args.profile.read_text().splitlines():
        stack, count = frames(line)
        if not stack:
            continue
        if IDLE.search(stack[-1]):
            idle += count
            continue
        busy += count
        for name in {label(f) for f in stack}:
            inclusive[name] += count
        own[label(stack[-1])] += count
        areas[area(stack[-1])] += count
    print(f"busy samples {busy}, idle {idle}")
    print("\nby area (where the CPU was, by the innermost frame):")
    for name, count in areas.most_common():
        print(f"  {100 * count / busy:5.1f} %  {name}")
    print("\ninclusive:")
    for name, count in inclusive.most_common(args.top):
        print(f"  {100 * count / busy:5.1f} %  {name}")
    print("\nself:")
    for name, count in own.most_common(args.top):
        print(f"  {100 * count / busy:5.1f} %  {name}")


if __name__ == "__main__":
    main()
