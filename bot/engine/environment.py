"""What the engine is told of the world around a turn, as an input (as goflow's `Environment`):
the moment of the turn and the month it falls in, in the hotline's time zone. The engine has no
clock of its own, so it can decide what depends on time ("the questionnaire is due this month")
itself, and tests run it at a fixed moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Environment:
    now: dt.datetime
    month: str
    """YYYY-MM in the hotline's time zone, as its staff (and the statistics) count months."""

    @classmethod
    def at(cls, now: dt.datetime, zone: ZoneInfo) -> Environment:
        return cls(now, now.astimezone(zone).strftime("%Y-%m"))
