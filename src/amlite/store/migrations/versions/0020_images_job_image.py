"""the environment image a job runs on

``jobs.image``: the name of the job's environment build as an image of its workspace's container
registry (``<login server>/<namespace>/azureml_<hash>``); null for jobs submitted before, pipelines
and jobs on a Ray cluster.

Revision ID: 0020_images
Revises: 0019
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("image", sa.String(512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("image")
