"""PostgreSQL: vacuum the inbox and outbox after every 50 dead rows, not a fifth of the table.

An update's body (what the person wrote) is erased once its turn is processed, and a sent
message's row deleted; PostgreSQL keeps the old row versions ("dead tuples") in the table's file
until a vacuum marks their space free for new rows to overwrite. By default autovacuum waits
for 50 + 20% of the table in dead rows: with two days of processed updates kept, that is hours
of messages at a steady rate. With the scale factor 0 it runs once 50 have piled up, at most once
a minute (autovacuum_naptime), on the recent pages only (the visibility map skips the rest):
under a burst a vacuum a minute, on a quiet day soon after the 50th message. See PRIVACY.md for
what this does not do (the bytes stay until overwritten; the server's WAL).
Nothing on SQLite: `secure_delete` and checkpoints (bot/storage/checkpoint.py) do this there.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("inbox", "outbox")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} SET "
            "(autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 50)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(
            f"ALTER TABLE {table} RESET "
            "(autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)"
        )
