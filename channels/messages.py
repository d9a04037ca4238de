"""What a message says, by kind, channel and the recipient's language (en, ms, zh, ta).

Everything rendered here can show on a lock screen, be read aloud on a call
or sit in an inbox preview, so it carries a severity, a location and the short
code only: no diagnosis, no patient name, whatever `content` holds. A page
ends with the one action that channel takes: SMS says "Reply ACK <code>", a
call "press 1", push points at the app; email carries its own signed link.
"""

from __future__ import annotations

from typing import Any

from channels.appointment_messages import appointment_text
from channels.sms_segments import fit_to_segments
from channels.twilio_sms import MAX_SEGMENTS

LANGUAGES = ("en", "ms", "zh", "ta")

_SEVERITY = {
    "en": {"critical": "CRITICAL", "emergent": "EMERGENT", "urgent": "URGENT",
           "semi_urgent": "SEMI-URGENT", "non_urgent": "NON-URGENT",
           # monitoring alarm priorities (IEC 60601-1-8)
           "high": "HIGH PRIORITY", "medium": "MEDIUM PRIORITY", "low": "LOW PRIORITY"},
    "ms": {"critical": "KRITIKAL", "emergent": "KECEMASAN", "urgent": "SEGERA",
           "semi_urgent": "SEPARA SEGERA", "non_urgent": "TIDAK SEGERA",
           "high": "KEUTAMAAN TINGGI", "medium": "KEUTAMAAN SEDERHANA",
           "low": "KEUTAMAAN RENDAH"},
    "zh": {"critical": "危急", "emergent": "紧急", "urgent": "急", "semi_urgent": "次急",
           "non_urgent": "非急",
           "high": "高优先级", "medium": "中优先级", "low": "低优先级"},
    "ta": {"critical": "மிக அவசரம்", "emergent": "அவசரம்", "urgent": "விரைவு",
           "semi_urgent": "ஓரளவு விரைவு", "non_urgent": "அவசரமில்லை",
           "high": "உயர் முன்னுரிமை", "medium": "நடுத்தர முன்னுரிமை",
           "low": "குறைந்த முன்னுரிமை"},
}
_STATUS = {
    "en": {"resolved": "resolved", "cancelled": "cancelled"},
    "ms": {"resolved": "selesai", "cancelled": "dibatalkan"},
    "zh": {"resolved": "已解决", "cancelled": "已取消"},
    "ta": {"resolved": "தீர்க்கப்பட்டது", "cancelled": "ரத்து செய்யப்பட்டது"},
}
_ROOM_FLOOR = {"en": ("room", "floor"), "ms": ("bilik", "tingkat"), "zh": ("房", "楼层"),
               "ta": ("அறை", "தளம்")}

# What happened, the same on every channel.
_SUMMARY = {
    "page": {
        "en": "VIGIL {severity}: emergency at {location}. Code {code}.",
        "ms": "VIGIL {severity}: kecemasan di {location}. Kod {code}.",
        "zh": "VIGIL {severity}：{location} 紧急情况。代码 {code}。",
        "ta": "VIGIL {severity}: {location} இல் அவசர நிலை. குறியீடு {code}.",
    },
    "ack_notice": {
        "en": "VIGIL: {owner} has taken the {severity} emergency at {location} (code {code}).",
        "ms": "VIGIL: {owner} telah mengambil kecemasan {severity} di {location} (kod {code}).",
        "zh": "VIGIL：{owner} 已接手 {location} 的{severity}紧急情况（代码 {code}）。",
        "ta": "VIGIL: {location} இல் உள்ள {severity} அவசர நிலையை {owner} ஏற்றுக்கொண்டார் (குறியீடு {code}).",
    },
    "stand_down": {
        "en": "VIGIL: stand down. The emergency at {location} (code {code}) is {status}.",
        "ms": "VIGIL: bersurai. Kecemasan di {location} (kod {code}) telah {status}.",
        "zh": "VIGIL：解除待命。{location} 的紧急情况（代码 {code}）{status}。",
        "ta": "VIGIL: தேவையில்லை. {location} அவசர நிலை (குறியீடு {code}) {status}.",
    },
    "handover": {
        "en": "VIGIL {severity}: the emergency at {location} is handed over to you. Code {code}.",
        "ms": "VIGIL {severity}: kecemasan di {location} diserahkan kepada anda. Kod {code}.",
        "zh": "VIGIL {severity}：{location} 的紧急情况已移交给您。代码 {code}。",
        "ta": "VIGIL {severity}: {location} அவசர நிலை உங்களிடம் ஒப்படைக்கப்பட்டது. குறியீடு {code}.",
    },
    # Monitoring sessions (workflows/monitoring.py); {severity} is the IEC 60601-1-8 priority.
    "alarm": {
        "en": "VIGIL {severity}: patient alarm at {location}. Code {code}.",
        "ms": "VIGIL {severity}: amaran pesakit di {location}. Kod {code}.",
        "zh": "VIGIL {severity}：{location} 病人警报。代码 {code}。",
        "ta": "VIGIL {severity}: {location} இல் நோயாளி எச்சரிக்கை. குறியீடு {code}.",
    },
    "alarm_unacknowledged": {
        "en": "VIGIL {severity}: patient alarm at {location} not yet acknowledged. Code {code}.",
        "ms": "VIGIL {severity}: amaran pesakit di {location} belum diakui. Kod {code}.",
        "zh": "VIGIL {severity}：{location} 病人警报尚未确认。代码 {code}。",
        "ta": "VIGIL {severity}: {location} நோயாளி எச்சரிக்கை இன்னும் ஏற்கப்படவில்லை. குறியீடு {code}.",
    },
    "technical_alarm": {
        "en": "VIGIL {severity}: technical alarm at {location}, a monitor stopped sending. Code {code}.",
        "ms": "VIGIL {severity}: amaran teknikal di {location}, monitor berhenti menghantar. Kod {code}.",
        "zh": "VIGIL {severity}：{location} 技术警报，监护设备停止发送。代码 {code}。",
        "ta": "VIGIL {severity}: {location} இல் தொழில்நுட்ப எச்சரிக்கை, கண்காணிப்பு சாதனம் அனுப்புவதை நிறுத்தியது. குறியீடு {code}.",
    },
    # Medication schedules (workflows/medication.py): the time only, never the medicine or why.
    "medication_reminder": {
        "en": "Vigil: it is time for your {time} medicine.",
        "ms": "Vigil: sudah tiba masa untuk ubat anda pada {time}.",
        "zh": "Vigil：现在是您 {time} 服药的时间。",
        "ta": "Vigil: உங்கள் {time} மருந்தை எடுக்கும் நேரம் இது.",
    },
    # To a caregiver whose consent covers medication: whose dose, never which medicine.
    "medication_missed_named": {
        "en": "Vigil: {patient}'s {time} medicine has not been confirmed.",
        "ms": "Vigil: ubat {patient} pada {time} belum disahkan.",
        "zh": "Vigil：{patient} {time} 的药尚未确认服用。",
        "ta": "Vigil: {patient} அவர்களின் {time} மருந்து இன்னும் உறுதிப்படுத்தப்படவில்லை.",
    },
    "medication_missed": {
        "en": "Vigil: the {time} medicine of the person you care for has not been confirmed.",
        "ms": "Vigil: ubat pada {time} bagi orang yang anda jaga belum disahkan.",
        "zh": "Vigil：您照顾的人 {time} 的药尚未确认服用。",
        "ta": "Vigil: நீங்கள் கவனிக்கும் நபரின் {time} மருந்து இன்னும் உறுதிப்படுத்தப்படவில்லை.",
    },
    # On-call rotas (workflows/oncall_watch.py): the rota's name and local times only.
    "shift_handoff": {
        "en": "Vigil: you are on call for {schedule} from {starts}.",
        "ms": "Vigil: anda bertugas atas panggilan untuk {schedule} mulai {starts}.",
        "zh": "Vigil：您将从 {starts} 起负责 {schedule} 的值班。",
        "ta": "Vigil: {starts} முதல் {schedule} பணிக்கு நீங்கள் அழைப்பில் இருப்பீர்கள்.",
    },
    "rota_gap": {
        "en": "Vigil: nobody is on call for {schedule} from {starts} to {ends}.",
        "ms": "Vigil: tiada sesiapa bertugas atas panggilan untuk {schedule} dari {starts} hingga {ends}.",
        "zh": "Vigil：{schedule} 从 {starts} 到 {ends} 无人值班。",
        "ta": "Vigil: {starts} முதல் {ends} வரை {schedule} பணிக்கு யாரும் அழைப்பில் இல்லை.",
    },
}
# A kind nobody wrote a template for yet still says only what is safe, and asks nothing.
_GENERIC = {"en": "VIGIL {severity}: {location}. Code {code}.",
            "ms": "VIGIL {severity}: {location}. Kod {code}.",
            "zh": "VIGIL {severity}：{location}。代码 {code}。",
            "ta": "VIGIL {severity}: {location}. குறியீடு {code}."}

# How to answer a page, per channel; a call speaks it in the recipient's own language.
_ACTION = {
    "sms": {"en": "Reply ACK {code} to take it.", "ms": "Balas ACK {code} untuk mengambilnya.",
            "zh": "回复 ACK {code} 接手。", "ta": "ஏற்க ACK {code} என பதிலளிக்கவும்."},
    "voice": {"en": "Press 1 to acknowledge, 2 to call the next person.",
              "ms": "Tekan 1 untuk mengambilnya, 2 untuk memanggil orang seterusnya.",
              "zh": "按 1 接手，按 2 呼叫下一位。",
              "ta": "ஏற்க 1 ஐ அழுத்தவும், அடுத்தவரை அழைக்க 2 ஐ அழுத்தவும்."},
    "push": {"en": "Open Vigil to acknowledge.", "ms": "Buka Vigil untuk mengambilnya.",
             "zh": "打开 Vigil 确认。", "ta": "ஏற்க Vigil ஐத் திறக்கவும்."},
}
_ASKS_FOR_ACK = ("page",)
# How to answer a reminder, per channel: SMS takes a reply, the rest open the app.
_MEDICATION_ACTION = {
    "sms": {"en": "Reply TAKEN or open the app.", "ms": "Balas TAKEN atau buka aplikasi.",
            "zh": "回复 TAKEN 或打开应用。", "ta": "TAKEN என பதிலளிக்கவும் அல்லது செயலியைத் திறக்கவும்."},
    "other": {"en": "Open the app to confirm.", "ms": "Buka aplikasi untuk mengesahkan.",
              "zh": "打开应用确认。", "ta": "உறுதிப்படுத்த செயலியைத் திறக்கவும்."},
}


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "en"


def location_text(location: dict[str, Any], language: str = "en", *, facility: bool = True) -> str:
    """'Facility, department, room N, floor F' from whatever parts are known."""
    room, floor = _ROOM_FLOOR[_language(language)]
    parts = [location.get("facility_name") or location.get("facility")] if facility else []
    parts.append(location.get("department"))
    if location.get("room"):
        parts.append(f"{room} {location['room']}")
    if location.get("floor") not in (None, ""):
        parts.append(f"{floor} {location['floor']}")
    return ", ".join(str(p) for p in parts if p) or "?"


def safe_text(kind: str, content: dict[str, Any], language: str = "en",
              channel: str = "websocket") -> str:
    """The lock-screen-safe text of one message, for one channel, in the recipient's language."""
    lang = _language(language)
    if kind.startswith("appointment"):
        where = location_text(content.get("location", {}), lang)
        return appointment_text(kind, content, lang, where)
    code = str(content.get("short_code", ""))
    severity = str(content.get("severity", ""))
    fields = {
        "severity": _SEVERITY[lang].get(severity, severity.upper()),
        # Spaced digits are read out one by one ("four eight two one"), not as a number.
        "code": " ".join(code) if channel == "voice" else code,
        "owner": content.get("owner_name") or "?",
        "status": _STATUS[lang].get(str(content.get("status")), str(content.get("status", ""))),
        "time": str(content.get("dose_time", "")),
        "schedule": str(content.get("schedule_name") or content.get("schedule_id", "")),
        "starts": str(content.get("starts_local", "")),
        "ends": str(content.get("ends_local") or "?"),
        "patient": first_name(str(content.get("patient_name") or "")),
    }
    key = "medication_missed_named" if kind == "medication_missed" and fields["patient"] else kind
    summary = _SUMMARY.get(key, _GENERIC)[lang]
    action = _ACTION.get(channel, {}).get(lang, "") if kind in _ASKS_FOR_ACK else ""
    if kind in ("medication_reminder", "medication_missed"):
        # A caregiver's SMS reply confirms for the patient too (services/caregiver_dose_replies.py).
        action = _MEDICATION_ACTION["sms" if channel == "sms" else "other"][lang]

    def render(location: str) -> str:
        gap = "" if summary.endswith("。") else " "  # Chinese sentences run on without spaces
        return gap.join(p for p in (summary, action) if p).format(location=location, **fields)

    text = render(location_text(content.get("location", {}), lang))
    if channel == "sms":
        text = _fit_sms(render, content.get("location", {}), lang, text)
    return text


def first_name(name: str) -> str:
    """What a caregiver's lock screen calls the patient: the first name, no more."""
    return name.split()[0] if name.split() else ""


# The detail an authenticated view (the app) and the patient's own email carry.
_MEDICINES = {"en": "Medicines", "ms": "Ubat", "zh": "药物", "ta": "மருந்துகள்"}
_CONFIRM = {"en": "Confirm", "ms": "Sahkan", "zh": "确认", "ta": "உறுதிப்படுத்து"}
_CONFIRM_OR_RESCHEDULE = {"en": "Confirm or ask for another time",
                          "ms": "Sahkan atau minta masa lain", "zh": "确认或要求改期",
                          "ta": "உறுதிப்படுத்து அல்லது வேறு நேரம் கேள்"}


def medication_detail(content: dict[str, Any], language: str = "en") -> list[str]:
    """'Medicines:' and one line per medicine with its dose and instructions."""
    lines = [" ".join(p for p in (str(m.get("name", "")), str(m.get("dose", ""))) if p)
             + (f" ({m['instructions']})" if m.get("instructions") else "")
             for m in content.get("medications") or [] if isinstance(m, dict)]
    return [f"{_MEDICINES[_language(language)]}:", *lines] if lines else []


def link_label(kind: str, language: str = "en") -> str:
    """The words on an email's signed link: confirm a dose, answer an appointment's reminder,
    or acknowledge a page."""
    if kind == "appointment_reminder":
        return _CONFIRM_OR_RESCHEDULE[_language(language)]
    return _CONFIRM[_language(language)] if kind.startswith("medication") else "Acknowledge"


def _fit_sms(render: Any, location: dict[str, Any], lang: str, text: str) -> str:
    """Shorten the location, never the code or the reply instruction, to fit the SMS segments.

    The facility name goes first (the staff know where they work), then the
    location is cut from its end.
    """
    if fit_to_segments(text, MAX_SEGMENTS) == text:
        return text
    short = location_text(location, lang, facility=False)
    for end in range(len(short), 0, -1):
        text = render(short[:end].rstrip(" ,") + ("" if end == len(short) else "..."))
        if fit_to_segments(text, MAX_SEGMENTS) == text:
            return text
    return fit_to_segments(render("?"), MAX_SEGMENTS)
