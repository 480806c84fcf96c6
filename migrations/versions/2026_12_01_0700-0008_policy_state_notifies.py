"""policy_state notifies every change (the policy watch listens)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:00:00+00:00

Any change of the policy version, by the application or by hand, is announced on the
``tuopin_policy`` channel at commit (api/authz/watch.py). PostgreSQL only: SQLite has
no notifications, and there every request reads the version.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION policy_state_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('tuopin_policy', NEW.version::text); RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER policy_state_notify AFTER INSERT OR UPDATE ON policy_state "
        "FOR EACH ROW EXECUTE FUNCTION policy_state_notify()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER policy_state_notify ON policy_state")
    op.execute("DROP FUNCTION policy_state_notify()")
