"""The tables of MLflow tracking (``domain.tracking``): experiments and runs of a workspace, and
what runs log. Declared on the one ``tables.metadata``; migration ``0012_mlflow_tracking`` creates them.

Every row hangs off its workspace by surrogate key (``ON DELETE CASCADE``), so deleting a workspace
deletes its tracking, and a move, which re-points the workspace, moves it untouched. MLflow's own
ids (``experiment_id``, ``run_id``) are unique within the workspace, not keys. Times are MLflow's
milliseconds since the epoch. A metric's latest value per key is kept in ``mlflow_latest_metrics``
beside its full history so that searches filter and sort on it in SQL, as MLflow's store does.
"""

from __future__ import annotations

import sqlalchemy as sa

from amlite.store.tables import metadata

_CASCADE = {"ondelete": "CASCADE"}

mlflow_experiments = sa.Table(
    "mlflow_experiments",
    metadata,
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

mlflow_experiment_tags = sa.Table(
    "mlflow_experiment_tags",
    metadata,
    sa.Column("experiment_key", sa.String(36), sa.ForeignKey("mlflow_experiments.key", **_CASCADE), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

mlflow_runs = sa.Table(
    "mlflow_runs",
    metadata,
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

mlflow_params = sa.Table(
    "mlflow_params",
    metadata,
    sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

mlflow_tags = sa.Table(
    "mlflow_tags",
    metadata,
    sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
)

mlflow_metrics = sa.Table(
    "mlflow_metrics",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), nullable=False),
    sa.Column("key", sa.String(250), nullable=False),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("is_nan", sa.Boolean(), nullable=False),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("step", sa.BigInteger(), nullable=False),
    sa.Index("ix_mlflow_metrics_run_key", "run_key", "key", "step"),
)

mlflow_latest_metrics = sa.Table(
    "mlflow_latest_metrics",
    metadata,
    sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Float(), nullable=False),
    sa.Column("is_nan", sa.Boolean(), nullable=False),
    sa.Column("timestamp", sa.BigInteger(), nullable=False),
    sa.Column("step", sa.BigInteger(), nullable=False),
)

# A run's files: their path below the run's artifact root and the content blob (by sha256) in
# the workspace's default storage.
mlflow_artifacts = sa.Table(
    "mlflow_artifacts",
    metadata,
    sa.Column("run_key", sa.String(36), sa.ForeignKey("mlflow_runs.key", **_CASCADE), primary_key=True),
    sa.Column("path", sa.String(1000), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
)
