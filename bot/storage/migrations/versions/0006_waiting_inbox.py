"""An index of the inbox's pending updates only, in arrival order.

Processed updates stay two days (to recognise redeliveries). PostgreSQL looked for the oldest
pending ones through the primary key and skipped every processed row on the way: 10 ms per
batch with 100,000 of them, growing with traffic. ix_inbox_pending (done_at, id) stays for
purging by age.

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


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting", table_name="inbox")
