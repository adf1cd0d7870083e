"""The misses log: scrubbed texts the bot did not understand, per day, language and kind, with a
count; no column leads back to a conversation (see bot/misses/tables.py and PRIVACY.md).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "missed_messages",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("text", sa.String(300), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("missed_messages")
