"""All settings in one place: environment variables with defaults that run on a laptop as they are.

Each component receives only the part it needs. `from_env` takes the environment as an argument so
tests pass their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Settings:
    content_root: Path = PROJECT_ROOT
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = ""
    conversation_ttl_days: int = 30
    sms_segment_budget: int = 3
    hotline: HotlineSettings = field(default_factory=HotlineSettings)

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
        )
        return cls(
            content_root=Path(env.get("CONTENT_ROOT", str(PROJECT_ROOT))),
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("BOT_SECRET_KEY", ""),
            conversation_ttl_days=int(env.get("CONVERSATION_TTL_DAYS", "30")),
            sms_segment_budget=int(env.get("SMS_SEGMENT_BUDGET", "3")),
            hotline=hotline,
        )

    def resolved_secret_key(self) -> bytes:
        """BOT_SECRET_KEY, or a key generated once into the data folder and kept there."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()
