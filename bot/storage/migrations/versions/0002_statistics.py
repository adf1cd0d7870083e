"""Statistics: anonymous counters only (see bot/stats/tables.py and PRIVACY.md).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID_LEN = 32


def _day_dims() -> list[sa.Column]:
    return [
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
    ]


def _count(name: str = "count") -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "stat_topic_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("topic", sa.String(ID_LEN), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("source", sa.String(ID_LEN), primary_key=True),
        _count(),
    )
    op.create_table(
        "stat_daily_contacts",
        *_day_dims(),
        sa.Column("source", sa.String(ID_LEN), primary_key=True),
        _count("active"),
        _count("started"),
    )
    op.create_table(
        "stat_escalation_counts",
        *_day_dims(),
        sa.Column("urgent", sa.Boolean(), primary_key=True),
        sa.Column("reason", sa.String(ID_LEN), primary_key=True),
        _count(),
    )
    op.create_table(
        "stat_outcome_counts",
        *_day_dims(),
        sa.Column("outcome", sa.String(ID_LEN), primary_key=True),
        _count(),
    )
    op.create_table(
        "stat_response_times",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("urgent", sa.Boolean(), primary_key=True),
        sa.Column("bucket", sa.String(16), primary_key=True),
        _count(),
    )
    op.create_table(
        "stat_survey_counts",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("question", sa.String(ID_LEN), primary_key=True),
        sa.Column("answer", sa.String(ID_LEN), primary_key=True),
        _count(),
    )


def downgrade() -> None:
    for table in (
        "stat_survey_counts",
        "stat_response_times",
        "stat_outcome_counts",
        "stat_escalation_counts",
        "stat_daily_contacts",
        "stat_topic_counts",
    ):
        op.drop_table(table)
