"""What Vigil answers to an SMS reply or a keypress on a call, in the sender's language.

Like the pages themselves, answers name only the short code and, when someone
else has the emergency, who: nothing clinical.
"""

from __future__ import annotations

from channels.messages import LANGUAGES

_SMS = {
    "acknowledged": {
        "en": "VIGIL: acknowledged. Emergency {code} is yours.",
        "ms": "VIGIL: diterima. Kecemasan {code} kini di bawah anda.",
        "zh": "VIGIL：已确认。紧急情况 {code} 由您负责。",
        "ta": "VIGIL: ஏற்கப்பட்டது. அவசர நிலை {code} உங்கள் பொறுப்பு.",
    },
    "taken": {
        "en": "VIGIL: emergency {code} is already taken by {owner}.",
        "ms": "VIGIL: kecemasan {code} sudah diambil oleh {owner}.",
        "zh": "VIGIL：紧急情况 {code} 已由 {owner} 接手。",
        "ta": "VIGIL: அவசர நிலை {code} ஏற்கனவே {owner} ஆல் ஏற்கப்பட்டது.",
    },
    "closed": {
        "en": "VIGIL: emergency {code} has already ended.",
        "ms": "VIGIL: kecemasan {code} sudah tamat.",
        "zh": "VIGIL：紧急情况 {code} 已结束。",
        "ta": "VIGIL: அவசர நிலை {code} ஏற்கனவே முடிந்தது.",
    },
    "not_paged": {
        "en": "VIGIL: you were not paged for emergency {code}.",
        "ms": "VIGIL: anda tidak dipanggil untuk kecemasan {code}.",
        "zh": "VIGIL：紧急情况 {code} 未呼叫您。",
        "ta": "VIGIL: அவசர நிலை {code} க்கு நீங்கள் அழைக்கப்படவில்லை.",
    },
    "unknown_code": {
        "en": "VIGIL: no open emergency has code {code}. Reply ACK and the code from your page.",
        "ms": "VIGIL: tiada kecemasan terbuka dengan kod {code}. Balas ACK dan kod dari panggilan anda.",
        "zh": "VIGIL：没有代码为 {code} 的紧急情况。请回复 ACK 加呼叫中的代码。",
        "ta": "VIGIL: {code} குறியீட்டில் அவசர நிலை இல்லை. ACK மற்றும் குறியீட்டுடன் பதிலளிக்கவும்.",
    },
    "no_open_page": {
        "en": "VIGIL: you have no open page to acknowledge.",
        "ms": "VIGIL: anda tiada panggilan terbuka untuk diterima.",
        "zh": "VIGIL：您没有待确认的呼叫。",
        "ta": "VIGIL: ஏற்க உங்களுக்கு திறந்த அழைப்பு இல்லை.",
    },
    "which": {
        "en": "VIGIL: you have open pages {codes}. Reply ACK and the code of the one you take.",
        "ms": "VIGIL: anda ada panggilan terbuka {codes}. Balas ACK dan kod yang anda ambil.",
        "zh": "VIGIL：您有多个呼叫 {codes}。请回复 ACK 加您接手的代码。",
        "ta": "VIGIL: உங்களுக்கு அழைப்புகள் {codes}. நீங்கள் ஏற்பதன் குறியீட்டுடன் ACK என பதிலளிக்கவும்.",
    },
    "help": {
        "en": "VIGIL: to take a page reply ACK and its code, e.g. ACK {code}.",
        "ms": "VIGIL: untuk mengambil panggilan, balas ACK dan kodnya, cth. ACK {code}.",
        "zh": "VIGIL：接手呼叫请回复 ACK 加代码，例如 ACK {code}。",
        "ta": "VIGIL: அழைப்பை ஏற்க ACK மற்றும் குறியீட்டுடன் பதிலளிக்கவும், எ.கா. ACK {code}.",
    },
    "unavailable": {
        "en": "VIGIL: your reply could not be recorded just now. Acknowledge in the Vigil app.",
        "ms": "VIGIL: balasan anda tidak dapat direkodkan. Sila terima dalam aplikasi Vigil.",
        "zh": "VIGIL：暂时无法记录您的回复。请在 Vigil 应用中确认。",
        "ta": "VIGIL: உங்கள் பதிலைப் பதிவு செய்ய இயலவில்லை. Vigil செயலியில் ஏற்கவும்.",
    },
    "unknown_sender": {"en": "VIGIL: this number is not registered with Vigil."},
    # Answers to a patient's reply to a medication reminder: never the medicine's name either.
    "dose_taken": {
        "en": "Vigil: your {time} medicine is recorded as taken. Thank you.",
        "ms": "Vigil: ubat anda pada {time} direkodkan sebagai sudah diambil. Terima kasih.",
        "zh": "Vigil：您 {time} 的药已记录为已服用。谢谢。",
        "ta": "Vigil: உங்கள் {time} மருந்து எடுக்கப்பட்டதாகப் பதிவு செய்யப்பட்டது. நன்றி.",
    },
    "dose_late": {
        "en": "Vigil: your {time} medicine is recorded as taken late. Take the next one at its "
              "usual time; never take two doses together.",
        "ms": "Vigil: ubat anda pada {time} direkodkan sebagai diambil lewat. Ambil dos seterusnya "
              "pada masa biasa; jangan ambil dua dos sekali gus.",
        "zh": "Vigil：您 {time} 的药已记录为延迟服用。下一次请按平常时间服用；切勿一次服用两剂。",
        "ta": "Vigil: உங்கள் {time} மருந்து தாமதமாக எடுக்கப்பட்டதாகப் பதிவு செய்யப்பட்டது. அடுத்ததை "
              "வழக்கமான நேரத்தில் எடுக்கவும்; இரண்டு அளவுகளை ஒன்றாக எடுக்க வேண்டாம்.",
    },
    "dose_skipped": {
        "en": "Vigil: your {time} medicine is recorded as skipped.",
        "ms": "Vigil: ubat anda pada {time} direkodkan sebagai dilangkau.",
        "zh": "Vigil：您 {time} 的药已记录为跳过。",
        "ta": "Vigil: உங்கள் {time} மருந்து தவிர்க்கப்பட்டதாகப் பதிவு செய்யப்பட்டது.",
    },
    "dose_skip_reason": {
        "en": "Vigil: please say why you skip it, e.g. SKIP nausea.",
        "ms": "Vigil: sila nyatakan sebabnya, cth. LANGKAU loya.",
        "zh": "Vigil：请说明跳过的原因，例如：跳过 恶心。",
        "ta": "Vigil: தவிர்ப்பதற்கான காரணத்தைக் கூறவும், எ.கா. தவிர் குமட்டல்.",
    },
    "no_open_dose": {
        "en": "Vigil: you have no medicine to confirm just now.",
        "ms": "Vigil: tiada ubat untuk disahkan sekarang.",
        "zh": "Vigil：您目前没有需要确认的药。",
        "ta": "Vigil: இப்போது உறுதிப்படுத்த வேண்டிய மருந்து எதுவும் இல்லை.",
    },
    "dose_too_late": {
        "en": "Vigil: your {time} medicine can no longer be confirmed. Take your next dose at its "
              "usual time; never take two doses together.",
        "ms": "Vigil: ubat anda pada {time} tidak lagi boleh disahkan. Ambil dos seterusnya pada "
              "masa biasa; jangan ambil dua dos sekali gus.",
        "zh": "Vigil：您 {time} 的药已无法确认。下一次请按平常时间服用；切勿一次服用两剂。",
        "ta": "Vigil: உங்கள் {time} மருந்தை இனி உறுதிப்படுத்த இயலாது. அடுத்ததை வழக்கமான நேரத்தில் "
              "எடுக்கவும்; இரண்டு அளவுகளை ஒன்றாக எடுக்க வேண்டாம்.",
    },
    "dose_help": {
        "en": "Vigil: reply TAKEN (or 1) when you have taken your medicine, or SKIP and the reason.",
        "ms": "Vigil: balas TAKEN (atau 1) selepas mengambil ubat, atau LANGKAU dan sebabnya.",
        "zh": "Vigil：服药后请回复 TAKEN（或 1），或回复“跳过”加原因。",
        "ta": "Vigil: மருந்து எடுத்த பின் TAKEN (அல்லது 1) என பதிலளிக்கவும், அல்லது தவிர் மற்றும் "
              "காரணம்.",
    },
    "dose_unavailable": {
        "en": "Vigil: your reply could not be recorded just now. Please confirm in the Vigil app.",
        "ms": "Vigil: balasan anda tidak dapat direkodkan. Sila sahkan dalam aplikasi Vigil.",
        "zh": "Vigil：暂时无法记录您的回复。请在 Vigil 应用中确认。",
        "ta": "Vigil: உங்கள் பதிலைப் பதிவு செய்ய இயலவில்லை. Vigil செயலியில் உறுதிப்படுத்தவும்.",
    },
    # Answers to a caregiver's reply to a medication message (services/caregiver_dose_replies.py):
    # the patient by first name, as the caregiver's escalation names them; never the medicine.
    "carer_dose_taken": {
        "en": "Vigil: {patient}'s {time} medicine is recorded as taken, confirmed by you. "
              "Thank you.",
        "ms": "Vigil: ubat {patient} pada {time} direkodkan sebagai sudah diambil, disahkan oleh "
              "anda. Terima kasih.",
        "zh": "Vigil：{patient} {time} 的药已由您确认记录为已服用。谢谢。",
        "ta": "Vigil: {patient} அவர்களின் {time} மருந்து எடுக்கப்பட்டதாக உங்களால் பதிவு "
              "செய்யப்பட்டது. நன்றி.",
    },
    "carer_dose_late": {
        "en": "Vigil: {patient}'s {time} medicine is recorded as taken late, confirmed by you. "
              "The next one at its usual time; never two doses together.",
        "ms": "Vigil: ubat {patient} pada {time} direkodkan sebagai diambil lewat, disahkan oleh "
              "anda. Dos seterusnya pada masa biasa; jangan dua dos sekali gus.",
        "zh": "Vigil：{patient} {time} 的药已由您确认记录为延迟服用。下一次按平常时间服用；切勿一次服用两剂。",
        "ta": "Vigil: {patient} அவர்களின் {time} மருந்து தாமதமாக எடுக்கப்பட்டதாக உங்களால் பதிவு "
              "செய்யப்பட்டது. அடுத்தது வழக்கமான நேரத்தில்; இரண்டு அளவுகள் ஒன்றாக வேண்டாம்.",
    },
    "carer_dose_skipped": {
        "en": "Vigil: {patient}'s {time} medicine is recorded as skipped, confirmed by you.",
        "ms": "Vigil: ubat {patient} pada {time} direkodkan sebagai dilangkau, disahkan oleh anda.",
        "zh": "Vigil：{patient} {time} 的药已由您确认记录为跳过。",
        "ta": "Vigil: {patient} அவர்களின் {time} மருந்து தவிர்க்கப்பட்டதாக உங்களால் பதிவு "
              "செய்யப்பட்டது.",
    },
    "carer_not_allowed": {
        "en": "Vigil: you are not authorised to confirm this person's medicines (consent for "
              "medication is not in force). Nothing was recorded.",
        "ms": "Vigil: anda tidak dibenarkan mengesahkan ubat orang ini (kebenaran untuk ubat "
              "tidak berkuat kuasa). Tiada apa-apa direkodkan.",
        "zh": "Vigil：您无权确认此人的用药（用药授权未生效）。未作任何记录。",
        "ta": "Vigil: இவரின் மருந்துகளை உறுதிப்படுத்த உங்களுக்கு அனுமதி இல்லை (மருந்துக்கான "
              "ஒப்புதல் நடைமுறையில் இல்லை). எதுவும் பதிவு செய்யப்படவில்லை.",
    },
    "carer_no_open_dose": {
        "en": "Vigil: there is no medicine to confirm just now for the people you care for.",
        "ms": "Vigil: tiada ubat untuk disahkan sekarang bagi orang yang anda jaga.",
        "zh": "Vigil：您照顾的人目前没有需要确认的药。",
        "ta": "Vigil: நீங்கள் கவனிப்பவர்களுக்கு இப்போது உறுதிப்படுத்த வேண்டிய மருந்து எதுவும் "
              "இல்லை.",
    },
    "carer_which": {
        "en": "Vigil: more than one person you care for has a medicine to confirm. Please confirm "
              "in the Vigil app.",
        "ms": "Vigil: lebih daripada seorang yang anda jaga mempunyai ubat untuk disahkan. Sila "
              "sahkan dalam aplikasi Vigil.",
        "zh": "Vigil：您照顾的多位人士都有需要确认的药。请在 Vigil 应用中确认。",
        "ta": "Vigil: நீங்கள் கவனிக்கும் ஒருவருக்கு மேற்பட்டோருக்கு உறுதிப்படுத்த வேண்டிய மருந்து "
              "உள்ளது. Vigil செயலியில் உறுதிப்படுத்தவும்.",
    },
    "carer_dose_too_late": {
        "en": "Vigil: {patient}'s {time} medicine can no longer be confirmed. The next one at its "
              "usual time; never two doses together.",
        "ms": "Vigil: ubat {patient} pada {time} tidak lagi boleh disahkan. Dos seterusnya pada "
              "masa biasa; jangan dua dos sekali gus.",
        "zh": "Vigil：{patient} {time} 的药已无法确认。下一次按平常时间服用；切勿一次服用两剂。",
        "ta": "Vigil: {patient} அவர்களின் {time} மருந்தை இனி உறுதிப்படுத்த இயலாது. அடுத்தது "
              "வழக்கமான நேரத்தில்; இரண்டு அளவுகள் ஒன்றாக வேண்டாம்.",
    },
}

_VOICE = {
    "acknowledged": {
        "en": "Acknowledged. The emergency is yours. Goodbye.",
        "ms": "Diterima. Kecemasan ini di bawah anda. Selamat tinggal.",
        "zh": "已确认。此紧急情况由您负责。再见。",
        "ta": "ஏற்கப்பட்டது. இந்த அவசர நிலை உங்கள் பொறுப்பு. நன்றி.",
    },
    "escalated": {
        "en": "Paging the next person now. Goodbye.",
        "ms": "Memanggil orang seterusnya sekarang. Selamat tinggal.",
        "zh": "正在呼叫下一位。再见。",
        "ta": "அடுத்தவரை இப்போது அழைக்கிறோம். நன்றி.",
    },
    "taken": {
        "en": "This emergency is already taken by {owner}. Goodbye.",
        "ms": "Kecemasan ini sudah diambil oleh {owner}. Selamat tinggal.",
        "zh": "此紧急情况已由 {owner} 接手。再见。",
        "ta": "இந்த அவசர நிலை ஏற்கனவே {owner} ஆல் ஏற்கப்பட்டது. நன்றி.",
    },
    "closed": {
        "en": "This emergency has ended. Goodbye.",
        "ms": "Kecemasan ini sudah tamat. Selamat tinggal.",
        "zh": "此紧急情况已结束。再见。",
        "ta": "இந்த அவசர நிலை முடிந்தது. நன்றி.",
    },
    "unavailable": {
        "en": "Sorry, that could not be recorded. Please use the Vigil app. Goodbye.",
        "ms": "Maaf, ia tidak dapat direkodkan. Sila guna aplikasi Vigil. Selamat tinggal.",
        "zh": "抱歉，无法记录。请使用 Vigil 应用。再见。",
        "ta": "மன்னிக்கவும், பதிவு செய்ய இயலவில்லை. Vigil செயலியைப் பயன்படுத்தவும்.",
    },
}
# An answer with no template of its own (e.g. not_paged on a call) reads as "closed".
_VOICE["not_paged"] = _VOICE["closed"]


def _pick(table: dict[str, dict[str, str]], key: str, language: str) -> str:
    texts = table[key]
    return texts.get(language if language in LANGUAGES else "en") or texts["en"]


def sms_reply(key: str, language: str = "en", **fields: str) -> str:
    """The SMS answer `key` (acknowledged, taken, help, ...) in `language`."""
    return _pick(_SMS, key, language).format(**fields)


def voice_reply(key: str, language: str = "en", **fields: str) -> str:
    """The spoken answer to a keypress."""
    return _pick(_VOICE, key, language).format(**fields)


# Twilio's default voice speaks English only; these Google voices speak the others.
SAY_VOICES = {
    "ms": {"language": "ms-MY", "voice": "Google.ms-MY-Standard-A"},
    "zh": {"language": "cmn-CN", "voice": "Google.cmn-CN-Standard-A"},
    "ta": {"language": "ta-IN", "voice": "Google.ta-IN-Standard-A"},
}


def say_attributes(language: str) -> dict[str, str]:
    """Keyword arguments for TwiML <Say> that speak `language` (none for English)."""
    return SAY_VOICES.get(language, {})
