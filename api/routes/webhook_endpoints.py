"""Outbound webhook endpoints (admin only): subscribe a receiver, rotate its secret, read stats."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Query

from api.deps import Admin, TemporalDep
from api.errors import ERROR_RESPONSES
from services import webhook_endpoints as endpoints
from services import webhook_replays
from services.schemas.webhooks import (
    SecretRotation,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointPublic,
    WebhookEndpointUpdate,
    WebhookReplay,
    WebhookReplayed,
)

router = APIRouter(prefix="/webhook-endpoints", tags=["webhook endpoints"],
                   responses=ERROR_RESPONSES)


@router.post("", status_code=201, response_model=WebhookEndpointCreated)
async def create_endpoint(body: WebhookEndpointCreate, user: Admin,
                          client: TemporalDep) -> WebhookEndpointCreated:
    """Subscribe a receiver; the answer carries its signing secret, shown this once."""
    created = await asyncio.to_thread(endpoints.create_endpoint, body, user)
    await endpoints.ensure_delivering(client, created)
    return created


@router.get("", response_model=list[WebhookEndpointPublic])
def list_endpoints(user: Admin) -> list[WebhookEndpointPublic]:
    """Every endpoint, with its delivery statistics."""
    return endpoints.list_endpoints()


@router.get("/{endpoint_id}", response_model=WebhookEndpointPublic)
def read_endpoint(endpoint_id: str, user: Admin) -> WebhookEndpointPublic:
    """One endpoint, with its delivery statistics."""
    return endpoints.get_endpoint(endpoint_id)


@router.patch("/{endpoint_id}", response_model=WebhookEndpointPublic)
async def update_endpoint(endpoint_id: str, body: WebhookEndpointUpdate, user: Admin,
                          client: TemporalDep) -> WebhookEndpointPublic:
    """Change an endpoint (enable, disable, filters, shape, URL, retry schedule)."""
    updated = await asyncio.to_thread(endpoints.update_endpoint, endpoint_id, body, user)
    await endpoints.ensure_delivering(client, updated)
    return updated


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointCreated)
def rotate_secret(endpoint_id: str, user: Admin,
                  body: SecretRotation | None = None) -> WebhookEndpointCreated:
    """A new secret, shown once; the old one keeps signing too for `overlap_s`."""
    return endpoints.rotate_secret(endpoint_id, (body or SecretRotation()).overlap_s, user)


@router.get("/{endpoint_id}/deliveries", response_model=list[WebhookDeliveryPublic])
def list_deliveries(endpoint_id: str, user: Admin,
                    status: Literal["pending", "delivered", "failed"] | None = None,
                    limit: int = Query(100, ge=1, le=1000)) -> list:
    """The endpoint's events, newest first, with how their delivery went."""
    return endpoints.list_deliveries(endpoint_id, status, limit)


@router.post("/{endpoint_id}/replay", response_model=WebhookReplayed)
async def replay(endpoint_id: str, body: WebhookReplay, user: Admin,
                 client: TemporalDep) -> WebhookReplayed:
    """Send one event (`webhook_id`) or a time range (`since`, `until`) again, same webhook-id."""
    replayed = await asyncio.to_thread(webhook_replays.replay, endpoint_id, body, user)
    await endpoints.ensure_delivering(client, await asyncio.to_thread(endpoints.get_endpoint,
                                                                      endpoint_id))
    return replayed
