"""Settings: every variable `Settings.from_env` reads is in the README's table and the other way
round, nothing else in `bot/` reads the environment, and generated secrets are read once."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


class Recording(Mapping[str, str]):
    """An empty environment that remembers every name asked for (`get` and `in` come through
    `__getitem__`)."""

    def __init__(self) -> None:
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def readme_variables() -> set[str]:
    """The names in the first column of the README's settings table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Settings", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names: set[str] = set()
    for row in rows:
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return names


def test_every_setting_is_in_the_readme_table_and_only_settings() -> None:
    env = Recording()
    Settings.from_env(env)
    assert env.asked, "from_env asked for nothing"
    assert sorted(env.asked - readme_variables()) == [], "read but not in the README's table"
    assert sorted(readme_variables() - env.asked) == [], "in the README's table but never read"


def test_only_settings_reads_the_environment() -> None:
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "bot").rglob("*.py")
        if re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    ]
    assert readers == ["bot/settings.py"]


def test_a_generated_secret_is_made_once_and_then_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "secret.key").exists()  # building settings writes nothing
    key = settings.resolved_secret_key()
    (tmp_path / "secret.key").unlink()
    assert settings.resolved_secret_key() == key  # kept by the settings, not read again
    assert Settings.from_env({"DATA_DIR": str(tmp_path)}).resolved_secret_key() != key
    assert Settings.from_env({"BOT_SECRET_KEY": "k"}).resolved_secret_key() == b"k"
