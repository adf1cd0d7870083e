"""`operator`: console accounts for hotline operators (add, list, passwd, display-name, disable,
enable). The display name is what users see beside an operator's messages ("Оператор Ольга");
without one they see "Operator" alone, never the login.

A new password is generated and printed once, unless one is piped in (`echo … | python -m bot
operator add NAME --langs ru`), so scripts can set their own without it showing on a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.operators import accounts
from bot.operators.passwords import generate_password
from bot.operators.tables import Operator
from bot.settings import Settings
from bot.storage.database import migrate, open_engine, sessions


def add_parser(sub: Any) -> None:
    p = sub.add_parser("operator", help="operator console accounts: add, list, passwd, disable")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an operator (prints a generated password)")
    add.add_argument("name")
    add.add_argument("--langs", required=True, help="languages they answer in, e.g. ru,uz")
    add.add_argument("--display-name", help="the name users see (default: 'Operator' alone)")
    add.set_defaults(run=run, act=_add)
    listing = actions.add_parser("list", help="every operator, their languages and status")
    listing.set_defaults(run=run, act=_list)
    passwd = actions.add_parser("passwd", help="set a new password (generated unless piped)")
    passwd.add_argument("name")
    passwd.set_defaults(run=run, act=_passwd)
    shown = actions.add_parser(
        "display-name", help="set the name users see beside their messages (none: clear it)"
    )
    shown.add_argument("name")
    shown.add_argument("display_name", nargs="?", default="")
    shown.set_defaults(run=run, act=_display_name)
    disable = actions.add_parser("disable", help="stop an operator logging in (ends logins)")
    disable.add_argument("name")
    disable.set_defaults(run=run, act=_disable)
    enable = actions.add_parser("enable", help="let a disabled operator log in again")
    enable.add_argument("name")
    enable.set_defaults(run=run, act=_enable)


Action = Callable[[AsyncSession, argparse.Namespace, TextIO], Awaitable[int]]


def run(args: argparse.Namespace) -> int:
    action: Action = args.act
    try:
        return asyncio.run(_in_database(Settings.from_env(), action, args, sys.stdout))
    except accounts.AccountError as error:
        print(f"operator {args.action}: {error}", file=sys.stderr)
        return 2


async def _in_database(
    settings: Settings, action: Action, args: argparse.Namespace, out: TextIO
) -> int:
    db = open_engine(settings.database_url)
    try:
        await migrate(db)
        async with sessions(db)() as session, session.begin():
            return await action(session, args, out)
    finally:
        await db.dispose()


def new_password(stdin: TextIO) -> tuple[str, bool]:
    """A password piped in on stdin (its first line), else a generated one; and whether it
    was generated (then it is printed)."""
    if stdin.isatty():
        return generate_password(), True
    piped = stdin.readline().rstrip("\r\n")
    if not piped:
        raise accounts.AccountError("stdin is not a terminal but gave no password")
    return accounts.check_password(piped), False


async def _add(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    password, generated = new_password(sys.stdin)
    operator = await accounts.add_operator(
        session,
        args.name,
        args.langs,
        password,
        must_change_password=generated,
        display_name=args.display_name,
    )
    out.write(f"operator {operator.name} added ({operator.langs})\n")
    if generated:
        out.write(f"one-time password: {password}\n(they choose their own at first login)\n")
    return 0


async def _list(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    rows = await session.scalars(select(Operator).order_by(Operator.name))
    for row in rows:
        status = "active" if row.active else "disabled"
        note = "  (must change password)" if row.must_change_password else ""
        shown = f"  shown as {row.display_name!r}" if row.display_name else ""
        out.write(f"{row.name:<24}{row.langs:<12}{status}{note}{shown}\n")
    return 0


async def _named(session: AsyncSession, name: str) -> Operator:
    operator = await accounts.find(session, name)
    if operator is None:
        raise accounts.AccountError(f"no operator named {name!r}")
    return operator


async def _passwd(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    operator = await _named(session, args.name)
    password, generated = new_password(sys.stdin)
    await accounts.set_password(session, operator, password, must_change=generated)
    out.write(f"password of {operator.name} changed; their open logins ended\n")
    if generated:
        out.write(f"one-time password: {password}\n(they choose their own at next login)\n")
    return 0


async def _display_name(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    operator = await _named(session, args.name)
    operator.display_name = accounts.check_display_name(args.display_name)
    if operator.display_name:
        out.write(f"users see {operator.name}'s messages as from {operator.display_name!r}\n")
    else:
        out.write(f"users see {operator.name}'s messages as from 'Operator' alone\n")
    return 0


async def _disable(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    operator = await _named(session, args.name)
    await accounts.disable(session, operator)
    out.write(f"operator {operator.name} disabled; their open logins ended\n")
    return 0


async def _enable(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> int:
    operator = await _named(session, args.name)
    operator.active = True
    out.write(f"operator {operator.name} enabled\n")
    return 0
