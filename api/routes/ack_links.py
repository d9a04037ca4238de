"""The signed acknowledge link in an email page: GET shows a confirm page, POST acknowledges.

GET must not acknowledge: mail security scanners and link previews (Safe
Links, Mimecast, chat unfurlers) fetch every link in a message, and an
emergency "acknowledged" by a robot stops the escalation while nobody is
coming. So the link opens a page naming the emergency with one button, and
only the POST that button sends takes it. The token in the URL is the
credential (see channels.ack_links); the POST changes the workflow, which
accepts it only if this person was paged and nobody else has it yet.

A medication email's link is the same kind of link naming a dose: its page
offers "taken" and "skipped (with a reason)", and the POST confirms through
the schedule's validated update, as the patient or a consented caregiver.
"""

from __future__ import annotations

import asyncio
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.acknowledgements import command_as
from channels.ack_links import ExpiredAckLink, InvalidAckLink, read_ack_token
from channels.messages import safe_text
from db.engine import reading
from db.models import DeliveryAttempt, Emergency, Staff
from services.dose_confirmations import confirm_dose
from services.dose_links import DoseLink, dose_link, is_dose_link
from services.errors import VigilError
from settings import get_settings
from workflows.emergency import EmergencyEscalationWorkflow as Wf
from workflows.emergency_types import AcknowledgeInput

router = APIRouter(prefix="/ack", tags=["acknowledge links"])

_OUTCOMES = {
    "done": "Acknowledged. The emergency is yours.",
    "taken": "Already taken by {owner}.",
    "closed": "This emergency has already ended.",
    "not_paged": "This link cannot acknowledge this emergency.",
    "unavailable": "Could not reach the paging engine. Acknowledge in the Vigil app.",
}


def _page(title: str, body: str, status: int = 200, lang: str = "en") -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _resolve(token: str) -> tuple[Staff, Emergency] | DoseLink | HTMLResponse:
    """The person and emergency (or dose) a genuine link names, or the page saying why not."""
    try:
        claim = read_ack_token(token, secret=get_settings().jwt_secret)
    except ExpiredAckLink:
        return _page("Link expired", "<p>Open the Vigil app to see this.</p>", 410)
    except InvalidAckLink:
        return _page("Link not valid", "<p>Open the Vigil app instead.</p>", 404)
    with reading() as session:
        attempt = session.get(DeliveryAttempt, claim.attempt_id)
        person = session.get(Staff, claim.staff_id)
        emergency = session.get(Emergency, attempt.subject_id) if attempt else None
    if is_dose_link(attempt):
        return dose_link(claim) or _page("Link not valid", "<p>Open the Vigil app instead.</p>",
                                         404)
    if attempt is None or person is None or emergency is None or attempt.recipient_id != person.id:
        return _page("Link not valid", "<p>Open the Vigil app instead.</p>", 404)
    return person, emergency


def _summary(person: Staff, emergency: Emergency) -> str:
    content = {"severity": emergency.severity, "short_code": emergency.short_code,
               "location": emergency.location}
    return f"<p>{escape(safe_text('page', content, person.language, 'email'))}</p>"


@router.get("/{token}", response_class=HTMLResponse)
def confirm_page(token: str) -> HTMLResponse:
    """What the link is about, with one button; opening it acknowledges nothing."""
    found = _resolve(token)
    if isinstance(found, HTMLResponse):
        return found
    if isinstance(found, DoseLink):
        return _dose_page(found)
    person, emergency = found
    if emergency.status == "acknowledged" and emergency.owner_id != person.id:
        state = f"<p>{escape(_OUTCOMES['taken'].format(owner=emergency.owner_name))}</p>"
    elif emergency.status in ("resolved", "cancelled"):
        state = f"<p>{escape(_OUTCOMES['closed'])}</p>"
    else:
        state = '<form method="post"><button type="submit">Acknowledge: I am taking it</button></form>'
    return _page("Vigil emergency", _summary(person, emergency) + state, lang=person.language)


@router.post("/{token}", response_class=HTMLResponse)
async def acknowledge_by_link(token: str, request: Request) -> HTMLResponse:
    """Acknowledge as the person the link was sent to."""
    found = await asyncio.to_thread(_resolve, token)
    if isinstance(found, HTMLResponse):
        return found
    if isinstance(found, DoseLink):
        return await _confirm_dose(found, request)
    person, emergency = found
    answer = await command_as(request.app.state.temporal, person, emergency.id, Wf.acknowledge,
                              lambda actor: AcknowledgeInput(actor=actor, via="email"))
    status = {"done": 200, "unavailable": 503}.get(answer.key, 409)
    text = _OUTCOMES[answer.key].format(owner=answer.owner)
    return _page("Vigil emergency", _summary(person, emergency) + f"<p>{escape(text)}</p>",
                 status, lang=person.language)


# --- a medication email's link -------------------------------------------------------------

_DOSE_FORM = ('<form method="post"><input type="hidden" name="outcome" value="taken">'
              '<button type="submit">I have taken it</button></form>'
              '<form method="post"><input type="hidden" name="outcome" value="skipped">'
              '<label>Why not? <input name="reason" required maxlength="500"></label> '
              '<button type="submit">I am skipping it</button></form>')


def _dose_summary(link: DoseLink) -> str:
    kind = "medication_reminder" if link.principal.roles == ("patient",) else "medication_missed"
    content = {"dose_time": link.time, "patient_name": link.patient_name}
    return f"<p>{escape(safe_text(kind, content, link.language, 'email'))}</p>"


def _dose_page(link: DoseLink) -> HTMLResponse:
    """The dose with two buttons; opening the link confirms nothing."""
    done = link.dose.outcome if link.dose and link.dose.outcome not in ("open", "missed") else None
    state = (f"<p>{escape(f'This dose is already recorded {done}.')}</p>" if done
             else _DOSE_FORM)
    return _page("Vigil medicine", _dose_summary(link) + state, lang=link.language)


async def _confirm_dose(link: DoseLink, request: Request) -> HTMLResponse:
    """Confirm as the person the link was sent to; a refusal says why, and changes nothing."""
    form = await request.form()
    outcome, reason = str(form.get("outcome", "")), str(form.get("reason", ""))
    try:
        result = await confirm_dose(client=request.app.state.temporal, user=link.principal,
                                    schedule_id=link.schedule.id, dose_id=link.dose_id,
                                    outcome=outcome, reason=reason, via="email")
    except VigilError as error:
        return _page("Vigil medicine", _dose_summary(link) + f"<p>{escape(error.message)}</p>",
                     error.status, lang=link.language)
    return _page("Vigil medicine", _dose_summary(link) + f"<p>{escape(result.message)}</p>",
                 lang=link.language)
