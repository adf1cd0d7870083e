"""All settings in one place: environment variables with defaults that run on a laptop as they are.

`Settings.from_env` is the one reader of the environment in `bot/`: each component receives only
the part it needs through its constructor. It takes the environment as an argument so tests pass
their own; every variable it reads is in the README's settings table (tests/test_settings.py).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class HotlineSettings:
    """Numbers and hours that texts show through placeholders (confirm them before publishing)."""

    emergency_phone: str = "112"
    trafficking_phone: str = "8-800-333-00-16"
    tj_labour_phone: str = "+7 495 967-98-44"
    uz_agency_phone: str = "+7 925 045-47-44"
    timezone: str = "Europe/Moscow"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    opens: str = "08:30"
    closes: str = "18:30"
    holidays: tuple[str, ...] = ()
    """Dates (YYYY-MM-DD) the hotline is closed although the weekday is a working one."""


@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram channel; it starts only when `token` is set."""

    token: str = ""
    api_url: str = "https://api.telegram.org"
    """Bot API root: requests go to {api_url}/bot{token}/{method} (a local server or fake)."""
    webhook_secret: str = ""
    """Checked on every webhook request; generated into the data folder and kept when unset."""
    username: str = ""
    """For poster links when the Bot API cannot be asked (getMe) for it."""
    rate_global: float = 30.0
    rate_per_chat: float = 1.0

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class TwilioSettings:
    """The SMS channel through Twilio; it starts when the account, token and a sender are set
    (and PUBLIC_URL, which Twilio's signatures are checked against)."""

    account_sid: str = ""
    auth_token: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    api_url: str = "https://api.twilio.com"
    rate_per_number: float = 1.0
    """Messages per second from one sending number (a long code sends about 1/s)."""
    max_segments: int = 3
    """Longer answers are cut at a sentence and continued when the user replies MORE."""

    @property
    def enabled(self) -> bool:
        return bool(
            self.account_sid
            and self.auth_token
            and (self.from_number or self.messaging_service_sid)
        )


@dataclass(frozen=True)
class OperatorSettings:
    """The operator console and the handover queue."""

    reply_timeout_minutes: int = 10
    """A taken conversation whose user waits this long for an operator's answer goes back to the
    queue (someone else can take it)."""
    transcript_retention_days: int = 30
    """Transcripts of handed-over conversations are deleted this long after closing."""
    session_hours: int = 12
    """An operator's login lasts this long (a working day)."""
    bootstrap: bool = True
    """On a start with no operators, create one and give its one-time password (to a terminal,
    else to a private file in the data folder)."""


DEFAULT_STATS_RETENTION_MONTHS = 36
"""Counters are kept three full years: enough for year-on-year comparison and grant reports."""


@dataclass(frozen=True)
class StatsSettings:
    """The anonymous statistics and the campaign codes they count."""

    timezone: str = HotlineSettings.timezone
    """Days and months are counted in the hotline's time zone (HOTLINE_TIMEZONE), as its staff
    see them."""
    sms_keywords: Mapping[str, str] = field(default_factory=dict)
    """SMS_SOURCE_KEYWORDS: keyword (upper case) -> campaign code."""
    campaign_sources: frozenset[str] = frozenset()
    """CAMPAIGN_SOURCES: the campaign codes counted; when empty, the defaults of
    `bot.delivery.campaigns`."""
    retention_months: int = DEFAULT_STATS_RETENTION_MONTHS


def parse_sms_keywords(value: str) -> dict[str, str]:
    """SMS_SOURCE_KEYWORDS, "METRO=metro,LEAFLET=leaflet2026": keyword (any case) -> code.
    Malformed pairs are skipped rather than stopping the bot."""
    keywords: dict[str, str] = {}
    for pair in value.split(","):
        keyword, sep, code = pair.partition("=")
        if sep and keyword.strip() and code.strip():
            keywords[keyword.strip().upper()] = code.strip().lower()
    return keywords


@dataclass(frozen=True)
class Settings:
    content_root: Path = PROJECT_ROOT
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    conversation_ttl_days: int = 30
    sms_segment_budget: int = 3
    public_url: str = ""
    """Where the platforms reach this server (https://example.org); webhooks are used when set."""
    sqlite_checkpoint_seconds: float = 30.0
    """SQLite: the log is emptied this often, so deleted text leaves the files (checkpoint.py)."""
    forwarded_allow_ips: str = ""
    """Proxies whose X-Forwarded-For/-Proto are believed (comma-separated addresses or
    networks, "*" for any); empty: nobody's, each request counts as the address it came from."""
    body_timeout_seconds: float = 10.0
    """A request body must have arrived this long after the route starts reading it (else 408)."""
    open_requests_per_address: int = 128
    """Requests one client address may have waiting for an answer at once (more: 429). Above what
    a platform opens in a burst: Telegram posts a bot's webhooks over up to 100 connections (40 by
    default) from a few addresses, and a legitimate burst must not be refused."""
    misses_log: bool = True
    """Keep messages the bot did not understand, scrubbed, for editors (bot/misses/); MISSES_LOG=off
    keeps none."""
    hotline: HotlineSettings = field(default_factory=HotlineSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    twilio: TwilioSettings = field(default_factory=TwilioSettings)
    operators: OperatorSettings = field(default_factory=OperatorSettings)
    stats: StatsSettings = field(default_factory=StatsSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("DATA_DIR", "data"))
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'bot.db'}"
        days = env.get("HOTLINE_DAYS", "0,1,2,3,4")
        hotline = HotlineSettings(
            emergency_phone=env.get("EMERGENCY_PHONE", HotlineSettings.emergency_phone),
            trafficking_phone=env.get("TRAFFICKING_PHONE", HotlineSettings.trafficking_phone),
            tj_labour_phone=env.get("TJ_LABOUR_PHONE", HotlineSettings.tj_labour_phone),
            uz_agency_phone=env.get("UZ_AGENCY_PHONE", HotlineSettings.uz_agency_phone),
            timezone=env.get("HOTLINE_TIMEZONE", HotlineSettings.timezone),
            days=tuple(int(d) for d in days.split(",") if d.strip()),
            opens=env.get("HOTLINE_OPENS", HotlineSettings.opens),
            closes=env.get("HOTLINE_CLOSES", HotlineSettings.closes),
            holidays=tuple(
                d.strip() for d in env.get("HOTLINE_HOLIDAYS", "").split(",") if d.strip()
            ),
        )
        return cls(
            content_root=Path(env.get("CONTENT_ROOT", str(PROJECT_ROOT))),
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("BOT_SECRET_KEY", ""),
            conversation_ttl_days=int(env.get("CONVERSATION_TTL_DAYS", "30")),
            sms_segment_budget=int(env.get("SMS_SEGMENT_BUDGET", "3")),
            public_url=env.get("PUBLIC_URL", "").rstrip("/"),
            sqlite_checkpoint_seconds=float(env.get("SQLITE_CHECKPOINT_SECONDS", "30")),
            forwarded_allow_ips=env.get("FORWARDED_ALLOW_IPS", "").strip(),
            body_timeout_seconds=float(env.get("BODY_TIMEOUT_SECONDS", "10")),
            open_requests_per_address=int(env.get("OPEN_REQUESTS_PER_ADDRESS", "128")),
            misses_log=_on(env.get("MISSES_LOG", "on")),
            hotline=hotline,
            telegram=TelegramSettings(
                token=env.get("TELEGRAM_BOT_TOKEN", ""),
                api_url=env.get("TELEGRAM_API_URL", TelegramSettings.api_url).rstrip("/"),
                webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
                username=env.get("TELEGRAM_BOT_USERNAME", "").lstrip("@"),
                rate_global=float(env.get("TELEGRAM_RATE_GLOBAL", "30")),
                rate_per_chat=float(env.get("TELEGRAM_RATE_PER_CHAT", "1")),
            ),
            twilio=TwilioSettings(
                account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
                auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
                from_number=env.get("TWILIO_FROM_NUMBER", ""),
                messaging_service_sid=env.get("TWILIO_MESSAGING_SERVICE_SID", ""),
                api_url=env.get("TWILIO_API_URL", TwilioSettings.api_url).rstrip("/"),
                rate_per_number=float(env.get("SMS_RATE_PER_NUMBER", "1")),
                max_segments=int(env.get("SMS_MAX_SEGMENTS", "3")),
            ),
            operators=OperatorSettings(
                reply_timeout_minutes=int(env.get("OPERATOR_REPLY_TIMEOUT_MINUTES", "10")),
                transcript_retention_days=int(env.get("TRANSCRIPT_RETENTION_DAYS", "30")),
                session_hours=int(env.get("OPERATOR_SESSION_HOURS", "12")),
                bootstrap=env.get("OPERATOR_BOOTSTRAP", "1") not in ("0", "false", "no"),
            ),
            stats=StatsSettings(
                timezone=hotline.timezone,
                sms_keywords=parse_sms_keywords(env.get("SMS_SOURCE_KEYWORDS", "")),
                campaign_sources=frozenset(
                    s.strip().lower()
                    for s in env.get("CAMPAIGN_SOURCES", "").split(",")
                    if s.strip()
                ),
                retention_months=int(
                    env.get("STATS_RETENTION_MONTHS", str(DEFAULT_STATS_RETENTION_MONTHS))
                ),
            ),
        )

    def resolved_secret_key(self) -> bytes:
        """BOT_SECRET_KEY, or a key generated once into the data folder and kept there."""
        return self._secret_key

    def resolved_webhook_secret(self) -> str:
        """TELEGRAM_WEBHOOK_SECRET, or one generated once into the data folder and kept there."""
        return self._webhook_secret

    # Resolved on first use, then kept by this object: building settings creates no file (lint
    # and report need none), and asking again reads no file.
    @cached_property
    def _secret_key(self) -> bytes:
        return (self.secret_key or self.kept_secret("secret.key", 48)).encode()

    @cached_property
    def _webhook_secret(self) -> str:
        return self.telegram.webhook_secret or self.kept_secret("telegram-webhook.secret", 32)

    def kept_secret(self, name: str, nbytes: int) -> str:
        """A random URL-safe secret generated on first use into the data folder (mode 600)."""
        path = self.data_dir / name
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                return path.read_text().strip()
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(nbytes))
        return path.read_text().strip()


def _on(value: str) -> bool:
    """A switch's value: off, 0, false and no (any case) turn it off; anything else leaves it on."""
    return value.strip().lower() not in ("off", "0", "false", "no")
