"""Settings of the statistics, read from the environment like bot.settings.

They live here rather than in bot/settings.py so that the statistics can be configured without
touching the settings every other component reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.settings import HotlineSettings, Settings
from bot.stats.sources import Campaigns, parse_sms_keywords

DEFAULT_RETENTION_MONTHS = 36
"""Counters are kept three full years: enough for year-on-year comparison and grant reports."""


@dataclass(frozen=True)
class StatsConfig:
    timezone: str = HotlineSettings.timezone
    """Days and months are counted in the hotline's time zone, as its staff see them."""
    sms_keywords: Mapping[str, str] = field(default_factory=dict)
    campaign_sources: frozenset[str] = frozenset()
    """CAMPAIGN_SOURCES: the campaign codes counted; when empty, DEFAULT_CAMPAIGN_SOURCES."""
    retention_months: int = DEFAULT_RETENTION_MONTHS

    @property
    def campaigns(self) -> Campaigns:
        """The codes kept: CAMPAIGN_SOURCES (or the defaults) plus the SMS keywords' codes; any
        other source is `other` (see bot/stats/sources.py)."""
        return Campaigns.of(self.campaign_sources, self.sms_keywords.values())

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StatsConfig:
        env = os.environ if environ is None else environ
        sources = env.get("CAMPAIGN_SOURCES", "")
        return cls(
            timezone=env.get("HOTLINE_TIMEZONE", HotlineSettings.timezone),
            sms_keywords=parse_sms_keywords(env.get("SMS_SOURCE_KEYWORDS", "")),
            campaign_sources=frozenset(s.strip().lower() for s in sources.split(",") if s.strip()),
            retention_months=int(env.get("STATS_RETENTION_MONTHS", str(DEFAULT_RETENTION_MONTHS))),
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, environ: Mapping[str, str] | None = None
    ) -> StatsConfig:
        """As from_env, with the time zone the rest of the bot uses (settings may not come from
        the environment, e.g. in tests)."""
        return replace(cls.from_env(environ), timezone=settings.hotline.timezone)
