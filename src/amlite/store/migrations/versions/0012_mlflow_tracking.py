"""MLflow tracking: experiments, runs, params, tags, metrics (history and latest) and run artifacts

Revision ID: 0012
Revises: 0011
Create Date: 2027-01-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_CASCADE = {"ondelete": "CASCADE"}


def upgrade() -> None:
    op.create_table(
        "mlflow_experiments",
        sa.Column("key", sa.String(36), primary_key=True),
        sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", **_CASCADE), nullable=False),
        sa.Column("experiment_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.String(1000), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("last_update_time", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("workspace_key", "experiment_id", name="uq_mlflow_experiments_ws_id"),
        sa.UniqueConstraint("workspace_key", "name", name="uq_mlflow_experiments_ws_name"),
    )

    op.create_table(
        "mlflow_experiment_tags",
        sa.Column("experiment_key", sa.String(36), sa.ForeignKey("mlflow_experiments.key", **_CASCADE), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )

    op.create_table(
        "mlflow_runs",
        sa.Column("key", sa.String(36), primary_key=True),
        sa.Column("workspace_key", sa.String(36), sa.ForeignKey("workspaces.key", **_CASCADE), nullable=False),
        sa.Column("experiment_key", sa.String(36), sa.ForeignKey("mlflow_experiments.key", **_CASCADE), nullable=False,
                  index=True),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger()),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("artifact_uri", sa.String(1000), nullable=False),
        sa.UniqueConstraint("workspace_key", "run_id", name="uq_mlflow_runs_ws_run_id"),
    )

    op.create_table(
        "mlflow_params",
        sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )

    op.create_table(
        "mlflow_tags",
        sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )

    op.create_table(
        "mlflow_metrics",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Index("ix_mlflow_metrics_run_key", "run_key", "key", "step"),
    )

    op.create_table(
        "mlflow_latest_metrics",
        sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("is_nan", sa.Boolean(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
    )

    # A run's files: their path below the run's artifact root and the content blob (by sha256) in
    # the workspace's default storage.
    op.create_table(
        "mlflow_artifacts",
        sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
        sa.Column("path", sa.String(1000), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    for table in ("mlflow_artifacts", "mlflow_latest_metrics", "mlflow_metrics", "mlflow_tags", "mlflow_params",
                  "mlflow_runs", "mlflow_experiment_tags", "mlflow_experiments"):
        op.drop_table(table)
