"""Names a manager reads in the monthly report, for the stable ids the counters store.

The report is for the organisation's staff and funders, not for migrants, so its words live here
in English rather than in content/. An id without a name (a topic added since, say) is shown as
words made from it, never as the raw id; campaign codes, which staff chose themselves, as they are.
"""

from __future__ import annotations

from collections.abc import Mapping

TOPICS: Mapping[str, str] = {
    "work_permit": "Work permit (patent)",
    "registration": "Registration",
    "quota": "Quotas",
    "employment_abroad": "Employment abroad",
    "citizenship": "Citizenship",
    "residence_permit": "Residence permit (RVP, VNZh)",
    "labour_rights": "Labour rights, wages",
    "trafficking": "Deception, trafficking",
    "health": "Medical exam, fingerprints",
    "general": "General",
}
OUTCOMES: Mapping[str, str] = {**TOPICS, "other": "Other"}
"""How an operator closed a conversation: a topic's id, or `other` (bot.operators.views)."""
LANGUAGES: Mapping[str, str] = {"ru": "Russian", "uz": "Uzbek", "tg": "Tajik", "none": "Not chosen"}
CHANNELS: Mapping[str, str] = {
    "telegram": "Telegram",
    "sms": "SMS",
    "web": "Web chat",
    "terminal": "Terminal (staff tests)",
}
SOURCES: Mapping[str, str] = {"none": "No campaign code", "other": "Unlisted code"}
REASONS: Mapping[str, str] = {
    "asked": "Asked for an operator",
    "flow": "Handed over by a topic",
    "danger": "Danger signs",
    "not_understood": "Bot did not understand",
}
BUCKETS: Mapping[str, str] = {
    "under_1m": "under 1 min",
    "1_5m": "1-5 min",
    "5_15m": "5-15 min",
    "15_60m": "15-60 min",
    "1_4h": "1-4 h",
    "4_24h": "4-24 h",
    "over_24h": "over 24 h",
}
QUESTIONS: Mapping[str, str] = {
    "offer": "yes or no to the offer",
    "gender": "Gender",
    "age": "Age",
    "citizenship": "Citizenship",
    "patent": "Has a patent or work permit",
    "registration": "Has registration",
    "heard_from": "Heard of the service from",
}
QUESTION_ORDER: tuple[str, ...] = tuple(QUESTIONS)
ANSWERS: Mapping[str, Mapping[str, str]] = {
    "offer": {"offered": "Offered", "accepted": "Yes", "declined": "No"},
    "gender": {"female": "Female", "male": "Male"},
    "age": {"18_24": "18-24", "25_34": "25-34", "35_44": "35-44", "45_plus": "45 and over"},
    "citizenship": {"uz": "Uzbekistan", "tj": "Tajikistan", "kg": "Kyrgyzstan", "other": "Other"},
    "patent": {"yes": "Yes", "no": "No"},
    "registration": {"yes": "Yes", "no": "No"},
    "heard_from": {
        "friends": "Friends or family",
        "leaflet": "Leaflet",
        "poster": "Poster",
        "internet": "Internet",
        "radio": "Radio",
        "other": "Other",
    },
}


def name(names: Mapping[str, str], key: str) -> str:
    """The name of `key`, else the id as words: 'new_topic' -> 'New topic'."""
    found = names.get(key)
    if found is not None:
        return found
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def code(names: Mapping[str, str], key: str) -> str:
    """The name of `key`, else `key` as it is (campaign codes read as staff wrote them)."""
    return names.get(key, key)
