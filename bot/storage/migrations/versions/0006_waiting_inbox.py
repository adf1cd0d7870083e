"""An index of the inbox's pending updates only, in arrival order, instead of one of all.

Processed updates stay two days (to recognise redeliveries). PostgreSQL looked for the oldest
pending ones through the primary key and skipped every processed row on the way: 10 ms per
batch with 100,000 of them, growing with traffic. ix_inbox_pending (done_at, id), which it did
not use for that, cost an entry on every insert and another on every update marking one done;
purging by age, once in a while, reads the table without it.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WAITING = sa.text("done_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_inbox_waiting", "inbox", ["id"], postgresql_where=WAITING, sqlite_where=WAITING
    )
    op.drop_index("ix_inbox_pending", table_name="inbox")


def downgrade() -> None:
    op.create_index("ix_inbox_pending", "inbox", ["done_at", "id"])
    op.drop_index("ix_inbox_waiting", table_name="inbox")
