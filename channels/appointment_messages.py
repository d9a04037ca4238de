"""What an appointment message says, in the recipient's language: plain words, nothing clinical.

Staff and the patient read "Appointment moved to room 12: Clinic B, 1 Dec 09:30";
family read the same news about "the appointment" of the person they care for.
No diagnosis and no name: the text can sit on a lock screen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

# What happened, by update type; {room}, {minutes} filled in where the type has them.
_NEWS = {
    "en": {"created": "booked", "scheduled": "confirmed", "rescheduled": "moved to a new time",
           "cancelled": "cancelled", "checked_in": "checked in", "in_progress": "started",
           "completed": "finished", "no_show": "missed (not checked in)",
           "emergency": "made an emergency appointment",
           "provider_delay": "running about {minutes} min late",
           "patient_delay": "patient running about {minutes} min late",
           "room_change": "moved to room {room}", "provider_change": "now with another clinician",
           "urgency_change": "priority changed", "reminder": "coming up",
           "patient_confirmed": "confirmed by the patient",
           "reschedule_requested": "the patient asks for another time"},
    "ms": {"created": "ditempah", "scheduled": "disahkan", "rescheduled": "dipindah ke masa baharu",
           "cancelled": "dibatalkan", "checked_in": "telah daftar masuk", "in_progress": "bermula",
           "completed": "selesai", "no_show": "tidak hadir", "emergency": "dijadikan kecemasan",
           "provider_delay": "lewat kira-kira {minutes} minit",
           "patient_delay": "pesakit lewat kira-kira {minutes} minit",
           "room_change": "dipindah ke bilik {room}", "provider_change": "kini dengan doktor lain",
           "urgency_change": "keutamaan diubah", "reminder": "akan datang",
           "patient_confirmed": "disahkan oleh pesakit",
           "reschedule_requested": "pesakit meminta masa lain"},
    "zh": {"created": "已预约", "scheduled": "已确认", "rescheduled": "已改期", "cancelled": "已取消",
           "checked_in": "已报到", "in_progress": "已开始", "completed": "已结束",
           "no_show": "未到", "emergency": "已转为紧急预约",
           "provider_delay": "医生约晚 {minutes} 分钟", "patient_delay": "病人约晚 {minutes} 分钟",
           "room_change": "改到 {room} 房", "provider_change": "已改由另一位医生负责",
           "urgency_change": "优先级已更改", "reminder": "即将到来",
           "patient_confirmed": "病人已确认", "reschedule_requested": "病人要求改期"},
    "ta": {"created": "பதிவு செய்யப்பட்டது", "scheduled": "உறுதி செய்யப்பட்டது",
           "rescheduled": "புதிய நேரத்துக்கு மாற்றப்பட்டது", "cancelled": "ரத்து செய்யப்பட்டது",
           "checked_in": "வருகை பதிவு", "in_progress": "தொடங்கியது", "completed": "முடிந்தது",
           "no_show": "வரவில்லை", "emergency": "அவசர சந்திப்பாக மாற்றப்பட்டது",
           "provider_delay": "சுமார் {minutes} நிமிடம் தாமதம்",
           "patient_delay": "நோயாளி சுமார் {minutes} நிமிடம் தாமதம்",
           "room_change": "அறை {room} க்கு மாற்றப்பட்டது",
           "provider_change": "வேறு மருத்துவருடன்", "urgency_change": "முன்னுரிமை மாற்றப்பட்டது",
           "reminder": "விரைவில்", "patient_confirmed": "நோயாளி உறுதி செய்தார்",
           "reschedule_requested": "நோயாளி வேறு நேரம் கேட்கிறார்"},
}
_LEAD = {"en": ("Appointment", "Appointment of the person you care for"),
         "ms": ("Temujanji", "Temujanji orang yang anda jaga"),
         "zh": ("预约", "您照顾的人的预约"),
         "ta": ("சந்திப்பு", "நீங்கள் பராமரிப்பவரின் சந்திப்பு")}


def _when(content: dict[str, Any]) -> str:
    """The start in the patient's own zone, e.g. '1 Dec 09:30'."""
    try:
        start = datetime.fromisoformat(str(content["starts_at"]))
        local = start.astimezone(ZoneInfo(str(content.get("time_zone") or "UTC")))
    except (KeyError, ValueError):
        return ""
    return f"{local.day} {local:%b %H:%M}"


def appointment_text(kind: str, content: dict[str, Any], language: str, where: str) -> str:
    """One line: who it is about, what happened, where and when."""
    lang = language if language in _NEWS else "en"
    news = _NEWS[lang].get(str(content.get("update")), _NEWS[lang]["urgency_change"])
    news = news.format(room=(content.get("location") or {}).get("room") or "?",
                       minutes=content.get("delay_minutes") or "?")
    lead = _LEAD[lang][1 if kind == "appointment_family" else 0]
    return f"{lead}: {news}. {where}, {_when(content)}".rstrip(", ")


def local_when(starts_at: datetime, time_zone: str) -> str:
    """An appointment's start as its patient reads it, e.g. '1 Dec 09:30'."""
    return _when({"starts_at": starts_at.isoformat(), "time_zone": time_zone})
