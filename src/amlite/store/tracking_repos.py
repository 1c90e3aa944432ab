"""The SQL repository of MLflow tracking (``ports.Tracking``): experiments, runs and what they log,
with MLflow's searches (``domain.tracking_search``) turned into SQL, so a listing reads only the
page it returns, filtered and sorted in the database."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from amlite.domain.tracking import (
    ArtifactFile,
    Experiment,
    LifecycleStage,
    Metric,
    Run,
    RunStatus,
)
from amlite.domain.tracking_search import Comparison, OrderBy
from amlite.store.tracking_tables import (
    mlflow_artifacts,
    mlflow_experiment_tags,
    mlflow_experiments,
    mlflow_latest_metrics,
    mlflow_metrics,
    mlflow_params,
    mlflow_runs,
    mlflow_tags,
)

E, R = mlflow_experiments, mlflow_runs


def _stored(value: float) -> tuple[float, bool]:
    """(value, is_nan): SQLite cannot hold NaN, so it is a flag beside a zero."""
    return (0.0, True) if math.isnan(value) else (value, False)


def _metric(row: Any) -> Metric:
    return Metric(row.key, math.nan if row.is_nan else float(row.value), int(row.timestamp), int(row.step))


def _glob(pattern: str) -> str:
    """A LIKE pattern as a GLOB one: SQLite's LIKE ignores case, MLflow's LIKE does not."""
    out = []
    for ch in pattern:
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


class SqlTracking:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn
        self._sqlite = conn.dialect.name == "sqlite"

    # -- experiments -------------------------------------------------------------------------------

    def add_experiment(self, exp: Experiment) -> None:
        self._conn.execute(E.insert().values(
            key=exp.key, workspace_key=exp.workspace_key, experiment_id=exp.experiment_id, name=exp.name,
            artifact_location=exp.artifact_location, lifecycle_stage=exp.lifecycle_stage.value,
            creation_time=exp.creation_time, last_update_time=exp.last_update_time))
        for k, v in exp.tags.items():
            self.set_experiment_tag(exp.key, k, v)

    def save_experiment(self, exp: Experiment) -> None:
        self._conn.execute(E.update().where(E.c.key == exp.key).values(
            name=exp.name, lifecycle_stage=exp.lifecycle_stage.value, last_update_time=exp.last_update_time))

    def experiment(self, ws_key: str, experiment_id: str) -> Experiment | None:
        return self._one_experiment(sa.and_(E.c.workspace_key == ws_key, E.c.experiment_id == experiment_id))

    def experiment_by_name(self, ws_key: str, name: str) -> Experiment | None:
        return self._one_experiment(sa.and_(E.c.workspace_key == ws_key, E.c.name == name))

    def _one_experiment(self, where: Any) -> Experiment | None:
        found = self._experiments(sa.select(E).where(where))
        return found[0] if found else None

    def _experiments(self, query: Any) -> list[Experiment]:
        rows = self._conn.execute(query).all()
        tags: dict[str, dict[str, str]] = {r.key: {} for r in rows}
        if rows:
            for t in self._conn.execute(sa.select(mlflow_experiment_tags).where(
                    mlflow_experiment_tags.c.experiment_key.in_(list(tags)))):
                tags[t.experiment_key][t.key] = t.value
        return [Experiment(r.key, r.workspace_key, r.experiment_id, r.name, r.artifact_location,
                           LifecycleStage(r.lifecycle_stage), int(r.creation_time), int(r.last_update_time), tags[r.key])
                for r in rows]

    def set_experiment_tag(self, exp_key: str, key: str, value: str) -> None:
        t = mlflow_experiment_tags
        done = self._conn.execute(t.update().where(t.c.experiment_key == exp_key, t.c.key == key).values(value=value))
        if done.rowcount == 0:
            self._conn.execute(t.insert().values(experiment_key=exp_key, key=key, value=value))

    def delete_experiment_tag(self, exp_key: str, key: str) -> bool:
        t = mlflow_experiment_tags
        return bool(self._conn.execute(t.delete().where(t.c.experiment_key == exp_key, t.c.key == key)).rowcount)

    def set_runs_stage(self, exp_key: str, stage: LifecycleStage) -> None:
        self._conn.execute(R.update().where(R.c.experiment_key == exp_key).values(lifecycle_stage=stage.value))

    def search_experiments(self, ws_key: str, stages: Iterable[LifecycleStage], filters: tuple[Comparison, ...],
                           orders: tuple[OrderBy, ...], offset: int, limit: int) -> list[Experiment]:
        query = sa.select(E).where(E.c.workspace_key == ws_key, E.c.lifecycle_stage.in_([s.value for s in stages]))
        for c in filters:
            if c.kind == "tag":
                t = mlflow_experiment_tags
                query = query.where(self._exists(t, t.c.experiment_key == E.c.key, c))
            else:
                query = query.where(self._compare(E.c[c.key], c))
        order: list[Any] = []
        for o in orders:
            if o.kind != "attribute":
                raise ValueError(f"experiments sort by attributes only, not {o.kind}")
            col = E.c[o.key]
            order.append(col.asc() if o.ascending else col.desc())
        order += [E.c.creation_time.desc(), E.c.experiment_id.asc()]
        return self._experiments(query.order_by(*order).offset(offset).limit(limit))

    # -- runs ----------------------------------------------------------------------------------------

    def add_run(self, run: Run) -> None:
        self._conn.execute(R.insert().values(
            key=run.key, workspace_key=run.workspace_key, experiment_key=run.experiment_key, run_id=run.run_id,
            name=run.run_name, user_id=run.user_id, status=run.status.value, start_time=run.start_time,
            end_time=run.end_time, lifecycle_stage=run.lifecycle_stage.value, artifact_uri=run.artifact_uri))

    def save_run(self, run: Run) -> None:
        self._conn.execute(R.update().where(R.c.key == run.key).values(
            name=run.run_name, status=run.status.value, end_time=run.end_time, lifecycle_stage=run.lifecycle_stage.value))

    def run(self, ws_key: str, run_id: str) -> Run | None:
        found = self._runs(self._run_query().where(R.c.workspace_key == ws_key, R.c.run_id == run_id))
        return found[0] if found else None

    def _run_query(self) -> Any:
        return sa.select(R, E.c.experiment_id).join(E, E.c.key == R.c.experiment_key)

    def _runs(self, query: Any) -> list[Run]:
        rows = self._conn.execute(query).all()
        keys = [r.key for r in rows]
        params: dict[str, dict[str, str]] = {k: {} for k in keys}
        tags: dict[str, dict[str, str]] = {k: {} for k in keys}
        metrics: dict[str, list[Metric]] = {k: [] for k in keys}
        if keys:
            for p in self._conn.execute(sa.select(mlflow_params).where(mlflow_params.c.run_key.in_(keys))):
                params[p.run_key][p.key] = p.value
            for t in self._conn.execute(sa.select(mlflow_tags).where(mlflow_tags.c.run_key.in_(keys))):
                tags[t.run_key][t.key] = t.value
            lm = mlflow_latest_metrics
            for m in self._conn.execute(sa.select(lm).where(lm.c.run_key.in_(keys)).order_by(lm.c.key)):
                metrics[m.run_key].append(_metric(m))
        return [Run(r.key, r.workspace_key, r.experiment_key, r.experiment_id, r.run_id, r.name, r.user_id,
                    RunStatus(r.status), int(r.start_time), None if r.end_time is None else int(r.end_time),
                    LifecycleStage(r.lifecycle_stage), r.artifact_uri, params[r.key], tags[r.key],
                    tuple(metrics[r.key]))
                for r in rows]

    def params(self, run_key: str, keys: list[str]) -> dict[str, str]:
        p = mlflow_params
        rows = self._conn.execute(sa.select(p.c.key, p.c.value).where(p.c.run_key == run_key, p.c.key.in_(keys)))
        return {r.key: r.value for r in rows}

    def add_params(self, run_key: str, params: dict[str, str]) -> None:
        if params:
            self._conn.execute(mlflow_params.insert(), [{"run_key": run_key, "key": k, "value": v} for k, v in params.items()])

    def set_tags(self, run_key: str, tags: dict[str, str]) -> None:
        t = mlflow_tags
        for key, value in tags.items():
            done = self._conn.execute(t.update().where(t.c.run_key == run_key, t.c.key == key).values(value=value))
            if done.rowcount == 0:
                self._conn.execute(t.insert().values(run_key=run_key, key=key, value=value))

    def delete_tag(self, run_key: str, key: str) -> bool:
        t = mlflow_tags
        return bool(self._conn.execute(t.delete().where(t.c.run_key == run_key, t.c.key == key)).rowcount)

    def add_metrics(self, run_key: str, metrics: list[Metric]) -> None:
        """Append to each key's history, and move its latest value when the new one is later by
        (step, timestamp, value), MLflow's order."""
        if not metrics:
            return
        rows = []
        for m in metrics:
            value, nan = _stored(m.value)
            rows.append({"run_key": run_key, "key": m.key, "value": value, "is_nan": nan, "timestamp": m.timestamp,
                         "step": m.step})
        self._conn.execute(mlflow_metrics.insert(), rows)
        lm = mlflow_latest_metrics
        keys = sorted({m.key for m in metrics})
        latest = {r.key: r for r in self._conn.execute(sa.select(lm).where(lm.c.run_key == run_key, lm.c.key.in_(keys)))}
        newest: dict[str, dict[str, Any]] = {}
        for row in rows:
            best = newest.get(row["key"])
            if best is None or _later(row, best):
                newest[row["key"]] = row
        for key, row in newest.items():
            old = latest.get(key)
            if old is None:
                self._conn.execute(lm.insert().values(**row))
            elif _later(row, {"step": old.step, "timestamp": old.timestamp, "value": old.value, "is_nan": old.is_nan}):
                self._conn.execute(lm.update().where(lm.c.run_key == run_key, lm.c.key == key).values(
                    value=row["value"], is_nan=row["is_nan"], timestamp=row["timestamp"], step=row["step"]))

    def metric_history(self, run_key: str, key: str, offset: int, limit: int) -> list[Metric]:
        m = mlflow_metrics
        query = (sa.select(m).where(m.c.run_key == run_key, m.c.key == key)
                 .order_by(m.c.step, m.c.timestamp, m.c.id).offset(offset).limit(limit))
        return [_metric(r) for r in self._conn.execute(query)]

    def search_runs(self, ws_key: str, experiment_keys: list[str], stages: Iterable[LifecycleStage],
                    filters: tuple[Comparison, ...], orders: tuple[OrderBy, ...], offset: int, limit: int) -> list[Run]:
        query = self._run_query().where(R.c.workspace_key == ws_key, R.c.experiment_key.in_(experiment_keys),
                                        R.c.lifecycle_stage.in_([s.value for s in stages]))
        for c in filters:
            query = query.where(self._run_condition(c))
        order: list[Any] = []
        for i, o in enumerate(orders):
            query, col = self._order_column(query, o, i)
            order += [col.is_(None), col.asc() if o.ascending else col.desc()]  # missing values last
        order += [R.c.start_time.desc(), R.c.run_id.asc()]
        return self._runs(query.order_by(*order).offset(offset).limit(limit))

    def _run_condition(self, c: Comparison) -> Any:
        if c.kind == "metric":
            lm = mlflow_latest_metrics
            return sa.exists().where(lm.c.run_key == R.c.key, lm.c.key == c.key, sa.not_(lm.c.is_nan),
                                     _numeric(lm.c.value, c.op, c.value))
        if c.kind in ("param", "tag"):
            t = mlflow_params if c.kind == "param" else mlflow_tags
            return self._exists(t, t.c.run_key == R.c.key, c)
        column = R.c.name if c.key == "run_name" else R.c[c.key]
        return self._compare(column, c)

    def _order_column(self, query: Any, o: OrderBy, i: int) -> tuple[Any, Any]:
        if o.kind == "attribute":
            if o.key == "experiment_id":
                return query, E.c.experiment_id
            return query, (R.c.name if o.key == "run_name" else R.c[o.key])
        table = {"metric": mlflow_latest_metrics, "param": mlflow_params, "tag": mlflow_tags}[o.kind]
        alias = table.alias(f"order_{i}")
        query = query.outerjoin(alias, sa.and_(alias.c.run_key == R.c.key, alias.c.key == o.key))
        return query, alias.c.value

    def _exists(self, table: sa.Table, owner: Any, c: Comparison) -> Any:
        found = sa.exists().where(owner, table.c.key == c.key)
        if c.op == "IS NULL":
            return sa.not_(found)
        if c.op == "IS NOT NULL":
            return found
        return sa.exists().where(owner, table.c.key == c.key, self._compare(table.c.value, c))

    def _compare(self, column: Any, c: Comparison) -> Any:
        if isinstance(c.value, float):
            return _numeric(column, c.op, c.value)
        if c.op in ("IN", "NOT IN"):
            values = list(c.value) if isinstance(c.value, tuple) else []
            return column.in_(values) if c.op == "IN" else column.not_in(values)
        value = str(c.value)
        if c.op == "=":
            return column == value
        if c.op == "!=":
            return column != value
        if c.op == "ILIKE":
            return sa.func.lower(column).like(value.lower())
        if c.op == "LIKE":
            return column.op("GLOB")(_glob(value)) if self._sqlite else column.like(value)
        raise ValueError(f"no SQL for {c.op} on strings")

    # -- artifacts -----------------------------------------------------------------------------------

    def put_artifact(self, run_key: str, file: ArtifactFile) -> None:
        a = mlflow_artifacts
        done = self._conn.execute(a.update().where(a.c.run_key == run_key, a.c.path == file.path)
                                  .values(sha256=file.sha256, size=file.size))
        if done.rowcount == 0:
            self._conn.execute(a.insert().values(run_key=run_key, path=file.path, sha256=file.sha256, size=file.size))

    def artifacts(self, run_key: str, below: str) -> list[ArtifactFile]:
        """The run's files at ``below`` or under it (``""``: all)."""
        a = mlflow_artifacts
        query = sa.select(a).where(a.c.run_key == run_key)
        if below:
            query = query.where(_at_or_below(a.c.path, below))
        return [ArtifactFile(r.path, r.sha256, int(r.size)) for r in self._conn.execute(query.order_by(a.c.path))]

    def delete_artifacts(self, run_key: str, below: str) -> int:
        a = mlflow_artifacts
        query = a.delete().where(a.c.run_key == run_key)
        if below:
            query = query.where(_at_or_below(a.c.path, below))
        return int(self._conn.execute(query).rowcount)


def _at_or_below(path: Any, below: str) -> Any:
    """The path is ``below`` or under it, compared exactly (LIKE would read ``%`` and ``_`` in
    names as wildcards, and ignores case on SQLite)."""
    return sa.or_(path == below, sa.func.substr(path, 1, len(below) + 1) == below + "/")


def _later(new: dict[str, Any], old: dict[str, Any]) -> bool:
    def rank(r: dict[str, Any]) -> tuple[int, int, float]:
        return int(r["step"]), int(r["timestamp"]), -math.inf if r["is_nan"] else float(r["value"])
    return rank(new) >= rank(old)


def _numeric(column: Any, op: str, value: object) -> Any:
    ops = {"=": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
           ">": column.__gt__, ">=": column.__ge__}
    return ops[op](value)
