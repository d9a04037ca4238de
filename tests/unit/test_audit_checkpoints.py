"""Checkpoints and entry MACs: only the audit key makes them, and the store never rewrites one."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.checkpoints import Checkpoint, CheckpointStore, checkpoint_ok
from audit.keys import entry_mac

KEY = b"unit-test-audit-key"
ENTRY = {"seq": 7, "at": "2026-11-22T00:00:00+00:00", "actor": "dr-tan", "action": "ack",
         "subject": "emergency-1", "detail": {"n": 1}}


def test_an_entry_mac_depends_on_the_key_the_fields_and_the_previous_mac() -> None:
    mac = entry_mac(KEY, **ENTRY, prev_mac="a")
    assert mac == entry_mac(KEY, **ENTRY, prev_mac="a")
    assert mac != entry_mac(b"another key", **ENTRY, prev_mac="a")
    assert mac != entry_mac(KEY, **{**ENTRY, "actor": "someone-else"}, prev_mac="a")
    assert mac != entry_mac(KEY, **ENTRY, prev_mac="b")


def test_a_signed_checkpoint_verifies_and_any_change_to_it_does_not() -> None:
    checkpoint = Checkpoint.signed(KEY, seq=85, head="ab" * 32, mac="cd" * 32)
    exported = checkpoint.as_dict()
    assert checkpoint.verifies(KEY) and checkpoint_ok(exported, KEY)
    assert not checkpoint.verifies(b"another key")
    for field, value in (("seq", 84), ("head", "00" * 32), ("mac", None), ("at", "2020-01-01")):
        assert not checkpoint_ok({**exported, field: value}, KEY), field
    assert not checkpoint_ok({"seq": "not a number"}, KEY)


def test_the_store_never_overwrites_a_checkpoint(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    checkpoint = Checkpoint.signed(KEY, seq=3, head="ab" * 32, mac=None)
    store.write(checkpoint)
    with pytest.raises(FileExistsError):
        store.write(checkpoint)


def test_the_store_reads_the_highest_seq_first_and_names_damaged_files(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    for seq in (9, 10, 2):
        store.write(Checkpoint.signed(KEY, seq=seq, head="ab" * 32, mac=None))
    (tmp_path / "999999999999-damaged.json").write_text("{not json")
    read = list(store.newest_first())
    assert read[0] == ("999999999999-damaged.json", None)
    assert [c.seq for _, c in read[1:] if c] == [10, 9, 2]
    assert list(CheckpointStore(tmp_path / "none-yet").newest_first()) == []
