"""The recorded corpus replays cleanly against today's code; a non-deterministic change does not.

A failure here means a change to workflow code would break workflows already
running in production. docs/AUDIT.md says how to make such a change safely
(`workflow.patched`) and how to add a history to the corpus.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from audit.replay import current_replayer, replay
from tests.replay.scenarios import SCENARIOS
from workflows.emergency import EmergencyEscalationWorkflow
from workflows.emergency_types import EmergencyInput, EmergencyState

ROOT = Path(__file__).resolve().parents[2]
HISTORIES = Path(__file__).parents[1] / "replay" / "histories"
CORPUS = sorted(HISTORIES.glob("*.json"))

# Workflow types registered with the worker whose histories are not yet in the corpus,
# and why. The coverage test fails for any other type without a history.
PENDING: dict[str, str] = {}


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


def type_of(history: WorkflowHistory) -> str:
    return history.events[0].workflow_execution_started_event_attributes.workflow_type.name


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
async def test_recorded_history_replays_cleanly_against_todays_code(path: Path) -> None:
    [outcome] = await replay([load(path)])
    assert outcome.ok, f"{path.name} diverged: {outcome.error}"


def test_corpus_covers_every_workflow_type_and_every_emergency_path() -> None:
    from worker import EMERGENCY_WORKFLOWS, ROUTINE_WORKFLOWS

    registered = {workflow._Definition.must_from_class(cls).name
                  for cls in [*EMERGENCY_WORKFLOWS, *ROUTINE_WORKFLOWS]}
    recorded = {type_of(load(path)) for path in CORPUS}
    assert registered - recorded - set(PENDING) == set(), "record a history for these types"
    assert set(PENDING) & recorded == set(), "recorded now: take these off PENDING"
    assert set(SCENARIOS) <= {path.stem for path in CORPUS}, "run tests/replay/record_corpus.py"


@workflow.defn(name="EmergencyEscalationWorkflow", sandboxed=False)
class WaitsFirst(EmergencyEscalationWorkflow):
    """A careless change: a pause before the first page (a timer the history never had)."""

    @workflow.run
    async def run(self, input: EmergencyInput) -> EmergencyState:
        await workflow.sleep(1)
        return await super().run(input)


@workflow.defn(name="EmergencyEscalationWorkflow", sandboxed=False)
class StopsIndexingStatus(EmergencyEscalationWorkflow):
    """Another: dropping the status search attribute without `workflow.patched`."""

    @workflow.run
    async def run(self, input: EmergencyInput) -> EmergencyState:
        return await super().run(input)

    def _index_status(self, status: str) -> None:
        pass


@pytest.mark.parametrize("altered", [WaitsFirst, StopsIndexingStatus])
async def test_altered_workflow_fails_replay_with_a_nondeterminism_error(altered: type) -> None:
    history = load(HISTORIES / "emergency_handed_over.json")
    [outcome] = await replay([history], current_replayer(workflows=[altered]))
    assert not outcome.ok and outcome.error_type == "NondeterminismError", outcome
    assert outcome.error and outcome.error.startswith("[TMPRL1100] Nondeterminism error")
    assert outcome.workflow_id == "emergency_handed_over" and outcome.run_id == history.run_id
    if altered is StopsIndexingStatus:  # Temporal names the event the code no longer produces
        event = history.events[outcome.diverged_at_event - 1]
        assert event.HasField("upsert_workflow_search_attributes_event_attributes")


def test_cli_replays_corpus_files_and_exits_zero() -> None:
    done = subprocess.run([sys.executable, "-m", "cli.main", "replay", "--history",
                           *map(str, CORPUS)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    outcomes = json.loads(done.stdout)
    assert len(outcomes) == len(CORPUS) and all(o["ok"] for o in outcomes)
