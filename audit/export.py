"""The export bundle: everything a reviewer needs to keep one workflow's record for good.

A zip of the Temporal history, the timeline (JSON and printable HTML), the
workflow's audit entries, the audit chain's verification and a signed
checkpoint of the chain's head, with a manifest of SHA-256 digests, so the
bundle can outlive Temporal's and the log's retention and still show it was
not altered. The checkpoint, checked with `audit.checkpoints.checkpoint_ok`
and the audit key, lets a later verifier tell whether the log has since lost
or rewritten the entries it held at export.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from typing import Any

FORMAT = "vigil-export/1"


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=1, default=str, sort_keys=True).encode()


def bundle_zip(*, workflow_id: str, exported_by: str, history: dict[str, Any],
               timeline: list[dict[str, Any]], timeline_html: str,
               entries: list[dict[str, Any]], verification: dict[str, Any],
               checkpoint: dict[str, Any] | None = None) -> bytes:
    """Zip the parts with a manifest naming each part's digest."""
    parts = {
        "history.json": _json(history),
        "timeline.json": _json(timeline),
        "timeline.html": timeline_html.encode(),
        "audit.json": _json(entries),
        "verification.json": _json(verification),
        "checkpoint.json": _json(checkpoint),  # null: the log was empty or did not verify
    }
    manifest = {
        "format": FORMAT, "workflow_id": workflow_id, "exported_by": exported_by,
        "exported_at": datetime.now(timezone.utc).isoformat(),
        "chain_ok": verification.get("ok"),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", _json(manifest))
        for name, data in parts.items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def read_bundle(data: bytes) -> dict[str, Any]:
    """Open a bundle and check every part against the manifest; raises ValueError if altered."""
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        parts = {name: bundle.read(name) for name in manifest["sha256"]}
    for name, part in parts.items():
        if hashlib.sha256(part).hexdigest() != manifest["sha256"][name]:
            raise ValueError(f"{name} does not match the manifest")
    return {"manifest": manifest, **{n: d.decode() if n.endswith(".html") else json.loads(d)
                                     for n, d in parts.items()}}
