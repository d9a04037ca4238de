"""The signed link in an appointment reminder email: GET shows two buttons, POST answers.

The same signer as an email page's acknowledge link (channels.ack_links): the
token names the reminder's delivery attempt and the patient it went to. As
there, opening the link changes nothing (mail scanners fetch every link);
only the button's POST confirms or asks to reschedule, as that patient.
"""

from __future__ import annotations

import asyncio
from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from channels.appointment_messages import local_when
from services.appointment_replies import LinkHolder, link_holder, reply_as
from services.errors import VigilError

router = APIRouter(prefix="/ack/appointment", tags=["acknowledge links"])

_DONE = {"confirm": "Thank you: your appointment is confirmed.",
         "reschedule": "Thank you: the clinic will contact you with another time."}


def _page(title: str, body: str, status: int = 200, lang: str = "en") -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head><body><h1>{escape(title)}</h1>{body}</body></html>",
        status_code=status, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _refused(error: VigilError) -> HTMLResponse:
    return _page("Vigil appointment", f"<p>{escape(error.message)}</p>", error.status)


def _summary(found: LinkHolder) -> str:
    row = found.appointment
    return f"<p>Your appointment on {escape(local_when(row.starts_at, row.time_zone))}.</p>"


@router.get("/{token}", response_class=HTMLResponse)
def answer_page(token: str) -> HTMLResponse:
    """What the link is about, with a button for each answer; opening it answers nothing."""
    try:
        found = link_holder(token)
    except VigilError as error:
        return _refused(error)
    buttons = ('<form method="post"><button name="answer" value="confirm">I will come</button> '
               '<button name="answer" value="reschedule">Please find another time</button></form>')
    return _page("Vigil appointment", _summary(found) + buttons, lang=found.patient.language)


@router.post("/{token}", response_class=HTMLResponse)
async def answer_by_link(token: str, request: Request) -> HTMLResponse:
    """Confirm or ask to reschedule, as the patient the reminder was sent to."""
    try:
        found = await asyncio.to_thread(link_holder, token)
        answer = str((await request.form()).get("answer", ""))
        if answer not in _DONE:
            raise VigilError(422, "invalid_request", "answer: confirm or reschedule.")
        await reply_as(client=request.app.state.temporal, appointment_id=found.appointment.id,
                       patient_id=found.patient.id, answer=answer, via="email")
    except VigilError as error:
        return _refused(error)
    return _page("Vigil appointment", _summary(found) + f"<p>{escape(_DONE[answer])}</p>",
                 lang=found.patient.language)
