"""VIGIL_WORKER_QUEUES names any of the three task queues, each once; the default polls all."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from settings import Settings


def test_a_worker_polls_every_queue_by_default() -> None:
    assert Settings().worker_queues.split(",") == ["emergency", "routine", "webhooks"]
    assert Settings().webhook_task_queue not in (Settings().task_queue,
                                                 Settings().routine_task_queue)


@pytest.mark.parametrize("queues", ["webhooks", "routine,webhooks", "emergency",
                                    "webhooks,emergency,routine"])
def test_any_of_the_queues_may_be_polled(queues: str) -> None:
    assert Settings(worker_queues=queues).worker_queues == queues


@pytest.mark.parametrize("queues", ["", "webhook", "routine,routine", "routine webhooks",
                                    "emergency,routine,webhooks,emergency"])
def test_unknown_or_repeated_queues_are_refused(queues: str) -> None:
    with pytest.raises(ValidationError):
        Settings(worker_queues=queues)
