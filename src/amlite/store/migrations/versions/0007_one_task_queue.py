"""one task queue: operations' work and registry replication move into ``tasks``

Every background job now runs through one durable task engine. Each ``replication_tasks`` row
becomes a task of kind ``registry.replicate`` (state, attempts, reason, retry time and lease
kept: pending copies stay pending, a copy under a lease stays claimed until it runs out), and
each operation gets the task that runs it (kind = the operation's kind; an open operation's
attempts and lease move there). The operation row keeps what a client polls.

State names map as the engine names them: NotStarted → Pending; InProgress → Running; Failed
with a retry time → Pending (with its reason as last error); Failed without one → Failed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _json_object(key: str, column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"json_build_object('{key}', {column})"
    return f"json_object('{key}', {column})"


def _json_field(column: str, key: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"({column}->>'{key}')"
    return f"json_extract({column}, '$.{key}')"


def _empty_json() -> str:
    return "CAST('{}' AS JSON)" if op.get_bind().dialect.name == "postgresql" else "'{}'"


def upgrade() -> None:
    op.create_table('tasks',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('dedupe_key', sa.String(length=256), nullable=False),
    sa.Column('subject_key', sa.String(length=36), nullable=True),
    sa.Column('scope_key', sa.String(length=36), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_tasks')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_tasks_dedupe_key'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_next_run_at'), ['next_run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_scope_key'), ['scope_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_subject_key'), ['subject_key'], unique=False)

    op.execute(f"""
        INSERT INTO tasks (key, kind, dedupe_key, subject_key, scope_key, payload, state, attempts, last_error,
                           next_run_at, last_run_at, lease_owner, lease_expires_at, created_at, updated_at)
        SELECT key, 'registry.replicate', 'registry.replicate:' || version_key || ':' || lower(region),
               version_key, registry_key, {_json_object('region', 'region')},
               CASE state WHEN 'NotStarted' THEN 'Pending' WHEN 'InProgress' THEN 'Running'
                          WHEN 'Succeeded' THEN 'Succeeded'
                          ELSE CASE WHEN next_attempt_at IS NULL THEN 'Failed' ELSE 'Pending' END END,
               attempts, reason, CASE WHEN state IN ('NotStarted', 'Failed') THEN next_attempt_at END,
               last_attempt_at, lease_owner, lease_expires_at, created_at, updated_at
        FROM replication_tasks
    """)
    op.execute(f"""
        INSERT INTO tasks (key, kind, dedupe_key, subject_key, scope_key, payload, state, attempts, last_error,
                           next_run_at, last_run_at, lease_owner, lease_expires_at, created_at, updated_at)
        SELECT id, kind, 'operation:' || id, id, NULL, {_empty_json()},
               CASE status WHEN 'InProgress' THEN CASE WHEN lease_owner IS NULL THEN 'Pending' ELSE 'Running' END
                           WHEN 'Succeeded' THEN 'Succeeded' ELSE 'Failed' END,
               attempts, CASE WHEN status NOT IN ('InProgress', 'Succeeded') THEN error_message END,
               CASE WHEN status = 'InProgress' AND lease_owner IS NULL THEN created_at END,
               NULL, CASE WHEN status = 'InProgress' THEN lease_owner END,
               CASE WHEN status = 'InProgress' THEN lease_expires_at END, created_at, COALESCE(ended_at, created_at)
        FROM operations
    """)

    with op.batch_alter_table('replication_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replication_tasks_registry_key'))
        batch_op.drop_index(batch_op.f('ix_replication_tasks_next_attempt_at'))
    op.drop_table('replication_tasks')
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('attempts')


def downgrade() -> None:
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("""
        UPDATE operations SET
            attempts = COALESCE((SELECT attempts FROM tasks WHERE tasks.key = operations.id), 0),
            lease_owner = (SELECT lease_owner FROM tasks WHERE tasks.key = operations.id),
            lease_expires_at = (SELECT lease_expires_at FROM tasks WHERE tasks.key = operations.id)
    """)
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)
    op.create_table('replication_tasks',
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('version_key', sa.String(length=36), nullable=False),
    sa.Column('registry_key', sa.String(length=36), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registry_key'], ['registries.key'], name=op.f('fk_replication_tasks_registry_key_registries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_key'], ['registry_asset_versions.key'], name=op.f('fk_replication_tasks_version_key_registry_asset_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_replication_tasks')),
    sa.UniqueConstraint('version_key', 'region', name='uq_replication_tasks_version_region')
    )
    with op.batch_alter_table('replication_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replication_tasks_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_replication_tasks_registry_key'), ['registry_key'], unique=False)
    op.execute(f"""
        INSERT INTO replication_tasks (key, version_key, registry_key, region, state, reason, attempts,
                                       next_attempt_at, last_attempt_at, lease_owner, lease_expires_at,
                                       created_at, updated_at)
        SELECT key, subject_key, scope_key, {_json_field('payload', 'region')},
               CASE state WHEN 'Running' THEN 'InProgress' WHEN 'Succeeded' THEN 'Succeeded' WHEN 'Failed' THEN 'Failed'
                          ELSE CASE WHEN last_error IS NULL THEN 'NotStarted' ELSE 'Failed' END END,
               last_error, attempts, next_run_at, last_run_at, lease_owner, lease_expires_at, created_at, updated_at
        FROM tasks
        WHERE kind = 'registry.replicate'
          AND subject_key IN (SELECT key FROM registry_asset_versions)
          AND scope_key IN (SELECT key FROM registries)
    """)
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_subject_key'))
        batch_op.drop_index(batch_op.f('ix_tasks_state'))
        batch_op.drop_index(batch_op.f('ix_tasks_scope_key'))
        batch_op.drop_index(batch_op.f('ix_tasks_next_run_at'))
    op.drop_table('tasks')
