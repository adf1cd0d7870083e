"""What the console calls the codes it shows: events of a transcript, reasons, channels,
statuses, and the messages after an action. English message ids, translated by `i18n`."""

from __future__ import annotations

from bot.operators.i18n import N_

EVENTS = {
    "requested:asked": N_("Asked for an operator"),
    "requested:danger": N_("Danger signs: asked for an operator urgently"),
    "requested:not_understood": N_("The bot did not understand twice"),
    "requested:flow": N_("Reached a topic that needs a person"),
    "urgent": N_("Marked urgent"),
    "taken": N_("Taken by an operator"),
    "returned": N_("Returned to the queue"),
    "timeout": N_("Returned to the queue: no answer in time"),
    "closed": N_("Closed by the operator"),
    "handed_back": N_("Handed back to the bot"),
    "left": N_("The user left (went back to the menu)"),
    "gone": N_("The conversation no longer exists"),
    "not_text": N_("The user sent something that is not text (photo, sticker, voice)"),
}
REASONS = {
    "asked": N_("Asked"),
    "danger": N_("Danger"),
    "not_understood": N_("Not understood"),
    "flow": N_("From a topic"),
}
CHANNELS = {"telegram": N_("Telegram"), "sms": N_("SMS"), "web": N_("Web chat")}
LANGS = {"ru": N_("Russian"), "uz": N_("Uzbek"), "tg": N_("Tajik")}
STATUSES = {"queued": N_("Waiting"), "taken": N_("Taken"), "closed": N_("Closed")}
WHO = {
    "user": N_("User"),
    "operator": N_("Operator"),
    "unreadable": N_("(this line cannot be read with the current key)"),
}
# Topic and outcome names are not here: bot.operators.views.topic_label takes them from content
# (in Russian) or from the report's names (in English), one source for every topic.

NOTICES = {
    # Desk errors (bot.operators.desk.DeskError codes)
    "not_available": N_(
        "Someone else has already taken this conversation, or it is no longer waiting."
    ),
    "not_yours": N_("This conversation is not yours (any more)."),
    "closed": N_("This conversation is already closed."),
    "empty": N_("Write something before sending."),
    "bad_outcome": N_("Choose an outcome from the list."),
    # Done
    "sent": N_("Sent."),
    "taken": N_("You have taken this conversation."),
    "done_closed": N_("Conversation closed."),
    "done_handed_back": N_("Conversation handed back to the bot."),
    "done_requeued": N_("Conversation returned to the queue."),
    "password_changed": N_("Password changed."),
    "display_name_saved": N_("Name saved."),
}
"""Messages after an action, by code (a redirect carries only a known code, never text)."""

LOGIN = {
    "wrong": N_("Wrong name or password."),
    "throttled": N_("Too many failed attempts. Try again in %(minutes)s min."),
    "expired": N_("This form has expired. Please try again."),
    "too_large": N_("Too much data was sent."),
}
PASSWORD = {
    "wrong": N_("The current password is wrong."),
    "differ": N_("The new passwords differ."),
    "same": N_("The new password must differ from the current one."),
    "short": N_("The password must have at least %(count)s characters."),
    "display_name_long": N_("The name must have at most %(count)s characters."),
    "display_name_bad": N_("The name cannot hold control characters."),
}

SCRIPT = {
    "take": N_("Take"),
    "urgent": N_("Urgent"),
    "under_minute": N_("less than a minute"),
    "minutes": N_("%(minutes)s min"),
    "hours": N_("%(hours)s h %(minutes)s min"),
    "answered": N_("answered"),
    "not_sent": N_("Could not send. Check the connection and try again."),
    "reconnecting": N_("Connection lost, reconnecting…"),
}
"""Words the page script shows (it gets them in the page's data, already translated)."""
