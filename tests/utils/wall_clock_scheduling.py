"""How `make test` shares its processes between the wall-clock files and the rest.

A few files wait on the wall clock for minutes (a dose at the next whole
minute, a worker kept down past a timer) and use almost no CPU meanwhile; the
rest keep both cores busy. With plain file-by-file scheduling every process
started on a waiting file and the machine sat at 15 % CPU for a minute and a
half. So, under `--dist loadfile`:

- the files marked `clock_minutes(N)` are packed into `len(nodes) - OTHER_PROCESSES`
  groups of about equal minutes (longest first), one group per process, each
  group running its files one after another;
- the other OTHER_PROCESSES processes take the remaining files as xdist does;
- a process with a group takes nothing else while an ordinary process is
  still running, so the machine never runs more CPU-bound files at once than
  it did before (more of them at once failed tests on load).

The controller process collects nothing, so a file's minutes are read from
its source (`pytest.mark.clock_minutes(N)`), not from the collected marks.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

OTHER_PROCESSES = 3
GROUP = "wall-clock group "
_MARK = re.compile(r"^pytestmark\b.*\bpytest\.mark\.clock_minutes\b(?:\((\d+(?:\.\d+)?)\))?",
                   re.MULTILINE)


def clock_minutes(path: Path) -> float | None:
    """The minutes a test file's `pytestmark` says it waits on the wall clock; None if unmarked."""
    found = _MARK.search(path.read_text(encoding="utf-8"))
    if found is None:
        return None
    if found.group(1) is None:
        raise ValueError(f"{path}: say how long it waits, pytest.mark.clock_minutes(N)")
    return float(found.group(1))


def pack(minutes: dict[str, float], groups: int) -> dict[str, int]:
    """Each file's group: longest first, each to the group with the fewest minutes so far."""
    load = [0.0] * max(groups, 1)
    placed: dict[str, int] = {}
    for file, length in sorted(minutes.items(), key=lambda item: (-item[1], item[0])):
        group = load.index(min(load))
        placed[file] = group
        load[group] += length
    return placed


class WallClockScheduling(LoadFileScheduling):
    @cached_property
    def _groups(self) -> dict[str, int]:
        assert self.collection is not None
        root = Path(self.config.rootpath)
        minutes = {file: m for file in dict.fromkeys(n.split("::", 1)[0] for n in self.collection)
                   if (m := clock_minutes(root / file)) is not None}
        return pack(minutes, len(self.nodes) - OTHER_PROCESSES)

    def _split_scope(self, nodeid: str) -> str:
        file = nodeid.split("::", 1)[0]
        group = self._groups.get(file)
        return file if group is None else f"{GROUP}{group}"

    def _runs_a_group(self, node: WorkerController) -> bool:
        return any(scope.startswith(GROUP) for scope in self.assigned_work.get(node, {}))

    def _reschedule(self, node: WorkerController) -> None:
        if not self._runs_a_group(node):
            super()._reschedule(node)
        elif node.shutting_down:
            return
        elif any(not n.shutting_down and not self._runs_a_group(n) for n in self.nodes):
            # Its whole group is queued on it: the shutdown marker goes after the group's
            # last test. (Without it, that test would wait for the marker until every other
            # file had run: a worker runs a test only once it knows the one after.)
            node.shutdown()
        else:
            super()._reschedule(node)  # nobody else is left to run the other files
