"""Operators, their console logins and login throttling; handovers to a human and their
transcripts (deleted a configurable time after closing).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("langs", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column(
            "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "operator_id",
            sa.Integer(),
            sa.ForeignKey("operators.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
    )
    op.create_index("ix_operator_sessions_operator_id", "operator_sessions", ["operator_id"])
    op.create_index("ix_operator_sessions_expires_at", "operator_sessions", ["expires_at"])
    op.create_table(
        "login_failures",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key"])
    op.create_table(
        "handovers",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("tag", sa.String(8), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column(
            "operator_id",
            sa.Integer(),
            sa.ForeignKey("operators.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("requested_at", WHEN, nullable=False),
        sa.Column("taken_at", WHEN, nullable=True),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("waiting_since", WHEN, nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_handovers_conversation_id", "handovers", ["conversation_id"])
    op.create_index("ix_handovers_closed_at", "handovers", ["closed_at"])
    op.create_index("ix_handovers_status_lang", "handovers", ["status", "lang"])
    op.create_index(
        "uq_handovers_open",
        "handovers",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text("status != 'closed'"),
        postgresql_where=sa.text("status != 'closed'"),
    )
    op.create_table(
        "handover_lines",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column(
            "handover_id",
            BIG_ID,
            sa.ForeignKey("handovers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column(
            "operator_id",
            sa.Integer(),
            sa.ForeignKey("operators.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
    )
    op.create_index("ix_handover_lines_handover_id", "handover_lines", ["handover_id"])


def downgrade() -> None:
    op.drop_table("handover_lines")
    op.drop_table("handovers")
    op.drop_table("login_failures")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
