"""Vigil's one settings object, read once from environment variables (prefix VIGIL_)."""

from __future__ import annotations

from functools import lru_cache

from limits import parse_many
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


# Known to everyone who has read this file: usable only with dev_mode on.
DEV_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"
DEV_AUDIT_KEY = "dev-only-audit-key-change-me-in-production-0123456789"


class InsecureSettings(RuntimeError):
    """The settings would run a production process with a development secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIL_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/vigil.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    temporal_address: str = Field("127.0.0.1:7233", description="Temporal frontend host:port")
    temporal_namespace: str = "default"
    task_queue: str = Field("vigil-emergency", description="Task queue for emergencies (critical)")
    routine_task_queue: str = Field(
        "vigil-routine", description="Task queue for reminders and other low-priority work"
    )
    webhook_task_queue: str = Field(
        "vigil-webhooks", description="Task queue for outbound webhook delivery, apart from"
        " routine work: a slow receiver holds a webhook slot, never a reminder's")
    jwt_secret: str = Field(DEV_JWT_SECRET, description="HS256 secret for bearer tokens; the"
                            " built-in value is refused unless VIGIL_DEV_MODE is on")
    dev_mode: bool = Field(
        False, description="Development conveniences (the built-in JWT secret); `vigil up` and the"
        " tests turn it on, production never does"
    )
    jwt_issuer: str = "vigil"
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="URL the outside world reaches the API at (webhooks)"
    )
    events_channel: str = Field("vigil_events", description="PostgreSQL NOTIFY channel name")
    events_poll_interval_s: float = Field(
        0.5, gt=0, description="On SQLite, how often an API process re-reads the event table"
        " when no commit was announced (a safety net: a commit with events touches a marker"
        " file beside the database, whose notice wakes it at once)"
    )
    activity_threads: int = Field(64, description="Worker threads for blocking activities")
    routine_activity_slots: int = Field(
        4, ge=1, description="Routine-queue activities (and local activities) a worker runs at"
        " once, on threads of their own: a flood of reminders or readings waits its turn instead"
        " of crowding out emergencies (docs/PERFORMANCE.md)")
    webhook_send_slots: int = Field(
        16, ge=1, description="Webhook-queue activities a worker runs at once (each holds its"
        " slot while its receiver answers), on threads of their own whose SQLite writes yield"
        " to any other writer, like the routine ones")
    worker_queues: str = Field(
        "emergency,routine,webhooks",
        pattern=r"^(emergency|routine|webhooks)(,(emergency|routine|webhooks)){0,2}$",
        description="Which task queues this worker process polls: run one process with"
        " `emergency` and another with `routine,webhooks` to keep them apart")
    worker_nice: int = Field(
        0, ge=0, le=19,
        description="Niceness this worker process takes when it starts (os.nice). A worker of"
        " the routine and webhook queues runs at 10 in `vigil up` and docker-compose.yml, so"
        " when a flood keeps the cores busy the kernel gives them first to the emergency"
        " worker, the API and Temporal")
    api_nice: int = Field(
        0, ge=0, le=19,
        description="Niceness this API process takes when it starts (os.nice). The ingest API,"
        " the process devices and integrations post readings to, runs at 10 in `vigil up` and"
        " docker-compose.yml, so a flood of readings neither shares an event loop with a page"
        " nor takes the cores from one")
    routine_workflow_task_slots: int = Field(
        20, ge=2, description="Routine-queue workflow tasks a worker runs at once (and as many"
        " webhook-queue ones)")
    reminder_spread_s: float = Field(
        60, ge=0, le=300, description="Medication reminders due at the same time are spread over"
        " this many seconds (each schedule keeps one fixed offset): thousands of timers firing at"
        " one instant would hold up emergencies at the Temporal server (docs/PERFORMANCE.md)")
    forbid_db_on_event_loop: bool = Field(
        False, description="Fail any synchronous database call made on an event loop (tests turn"
        " it on to prove no API route blocks the loop)"
    )

    # Input limits (README "Input limits"): refused before any work is done.
    fhir_max_entries: int = Field(
        1000, ge=1, description="Most entries a FHIR Bundle may hold (422 above)")
    policy_min_ack_timeout_s: float = Field(
        5, gt=0, description="Shortest acknowledgement timeout a policy tier may have")
    http_header_timeout_s: float = Field(
        15, gt=0, description="A connection must send a request's line and headers within this")

    # Retention (docs/AUDIT.md): what outlives these is the export bundle, kept by the hospital.
    temporal_retention_days: int = Field(
        30, ge=1, description="Days Temporal keeps a closed workflow's history (namespace retention)"
    )
    audit_retention_days: int | None = Field(
        None, ge=1, description="Days before `vigil audit-prune` archives and removes audit entries;"
        " unset keeps them forever"
    )
    audit_archive_dir: str = Field(
        "./var/audit-archive", description="Where `vigil audit-prune` writes what it removes"
    )

    # Tamper evidence against a database writer (docs/AUDIT.md): the key and the
    # checkpoints live outside the database, so whoever can write to it can forge neither.
    audit_key: str = Field(
        DEV_AUDIT_KEY,
        description="HMAC-SHA256 key for audit entries and checkpoints; never stored in the"
        " database; the built-in value is refused unless VIGIL_DEV_MODE is on",
    )
    audit_checkpoint_dir: str = Field(
        "./var/audit-checkpoints",
        description="Append-only directory of signed checkpoints of the audit chain's head",
    )
    audit_checkpoint_interval_s: float = Field(
        300, ge=0, description="How often each API process checkpoints the audit chain; 0 turns it off"
    )

    # Provider credentials: a channel switches from the local outbox to the real
    # provider only when its credentials are present.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_base_url: str | None = Field(None, description="Override Twilio API host (tests)")
    sendgrid_api_key: str | None = None
    sendgrid_sender: str | None = None
    sendgrid_base_url: str | None = Field(None, description="Override SendGrid API host (tests)")
    sendgrid_webhook_public_key: str | None = None
    firebase_credentials_file: str | None = Field(
        None, description="Service-account JSON for FCM; its project is used unless set below"
    )
    firebase_project_id: str | None = None
    fcm_base_url: str | None = Field(None, description="Override FCM endpoint (tests)")
    sendgrid_webhook_max_age_s: int = Field(
        600, ge=1, description="Oldest SendGrid event-webhook timestamp accepted (replay window)"
    )
    email_ack_link_ttl_s: int = Field(
        6 * 3600, ge=60, description="How long an email's signed acknowledge link stays valid"
    )
    calendar_link_ttl_s: int = Field(
        90 * 86400, ge=60, description="How long a signed on-call calendar feed URL stays valid"
    )
    oncall_recheck_s: int = Field(
        3600, ge=1, description="How often each schedule's watcher looks for gaps in the next"
        " 7 days, besides waking for each hand-off notice and each change to the schedule"
    )

    # Abuse limits (README "Rate limits"). Rates are `limits` strings: "600/minute",
    # "20/second;600/minute". Raising an emergency and answering one have their own, far higher
    # budget; vital-sign intake and provider webhooks are never rate-limited.
    rate_limits_enabled: bool = Field(
        True, description="Turn request and WebSocket rate limits off (body limits stay)"
    )
    rate_limit_storage_uri: str = Field(
        "memory://", description="Where rate counters live: memory:// (each API process) or"
        " redis://host:port (shared by replicas; needs the limits[async-redis] extra)"
    )
    rate_limit_per_token: str = Field(
        "600/minute", description="Requests per person (the token's sub) on ordinary routes"
    )
    rate_limit_per_address: str = Field(
        "6000/minute", description="Requests per client address on ordinary routes (a hospital's"
        " staff may share one address)"
    )
    rate_limit_incident: str = Field(
        "6000/minute", description="Requests per person (or address) raising, acknowledging and"
        " steering emergencies and acknowledging alarms"
    )
    max_body_bytes: int = Field(
        256 * 1024, ge=1024, description="Largest request body on ordinary routes (413 above it)"
    )
    max_bulk_body_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Largest request body on the FHIR readings route"
        " and the SendGrid event webhook"
    )
    ws_max_connections_per_person: int = Field(
        5, ge=1, description="Open staff WebSockets per person, per API process"
    )
    ws_message_rate: str = Field(
        "30/10 seconds", description="Frames per WebSocket (ack frames are never refused)"
    )

    # Outbound webhooks (README "Outbound webhooks"). Endpoint secrets are Fernet-encrypted under
    # this key, kept outside the database; unset, a key is derived from VIGIL_AUDIT_KEY.
    webhook_secret_keys: str | None = Field(
        None, description="Fernet key(s) that encrypt webhook endpoint secrets, comma-separated, newest"
        " first (older ones still decrypt, for key rotation); unset derives one from VIGIL_AUDIT_KEY"
    )
    webhook_poll_interval_s: float = Field(
        60.0, gt=0, le=3600, description="How often an idle endpoint's delivery workflow looks for"
        " new events in its outbox anyway: the writer of a new event wakes it at once; this is the"
        " safety net for a wake that failed"
    )
    webhook_timeout_s: float = Field(
        15.0, gt=0, le=60, description="How long one webhook request may take before it counts as failed"
    )
    webhook_max_response_bytes: int = Field(
        65_536, ge=1024, description="How much of a receiver's answer is read (the rest is dropped)"
    )

    @field_validator("worker_queues")
    @classmethod
    def _each_queue_once(cls, value: str) -> str:
        named = value.split(",")
        if len(set(named)) != len(named):
            raise ValueError(f"a task queue named twice: {value}")
        return value

    @field_validator("rate_limit_per_token", "rate_limit_per_address", "rate_limit_incident",
                     "ws_message_rate")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        parse_many(value)  # raises ValueError naming the bad rate, at startup
        return value

    def check_safe_to_serve(self) -> None:
        """Refuse to run the API or the worker on the well-known development secret."""
        if self.dev_mode:
            return
        if self.jwt_secret == DEV_JWT_SECRET:
            raise InsecureSettings(
                "VIGIL_JWT_SECRET is the built-in development secret, so anyone could mint an "
                "admin token. Set VIGIL_JWT_SECRET to a long random value, or VIGIL_DEV_MODE=1 "
                "on a development machine.")
        if self.audit_key == DEV_AUDIT_KEY:
            raise InsecureSettings(
                "VIGIL_AUDIT_KEY is the built-in development key, so anyone could re-sign an "
                "edited audit log. Set VIGIL_AUDIT_KEY to a long random value kept outside the "
                "database, or VIGIL_DEV_MODE=1 on a development machine.")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
