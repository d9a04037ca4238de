"""The policy snapshot: channel groups by delay, and where a failed channel falls through to."""

import pytest

from workflows.policy import ChannelStep, PolicySnapshot, TierSpec


def snapshot(*steps: tuple[str, float]) -> PolicySnapshot:
    return PolicySnapshot(id="p", name="p", version=1,
                          channels=[ChannelStep(c, a) for c, a in steps],
                          tiers=[TierSpec("t", "responders", 60)])


def test_critical_channels_group_into_at_once_and_voice_after_30_s() -> None:
    policy = snapshot(("websocket", 0), ("push", 0), ("sms", 0), ("voice", 30))
    assert policy.channel_groups() == [(0, ["websocket", "push", "sms"]), (30, ["voice"])]


def test_fallback_follows_policy_order_then_email() -> None:
    assert snapshot(("websocket", 0), ("push", 0)).fallback_order() == ["websocket", "push", "email"]
    assert snapshot(("email", 0), ("sms", 5)).fallback_order() == ["email", "sms"]


def test_an_acknowledgement_timeout_below_the_floor_is_refused_naming_the_tier() -> None:
    from pydantic import ValidationError

    from services.schemas.directory import PolicyIn
    from settings import get_settings

    floor = get_settings().policy_min_ack_timeout_s
    body = {"name": "p", "channels": [{"channel": "websocket"}],
            "tiers": [{"name": "t", "targets": "responders", "ack_timeout_s": floor}]}
    assert PolicyIn.model_validate(body).tiers[0].ack_timeout_s == floor
    body["tiers"][0]["ack_timeout_s"] = floor / 2
    with pytest.raises(ValidationError) as refused:
        PolicyIn.model_validate(body)
    assert refused.value.errors()[0]["loc"] == ("tiers", 0, "ack_timeout_s")
