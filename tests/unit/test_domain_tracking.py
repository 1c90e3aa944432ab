"""MLflow tracking's rules without a store: the search grammar as MLflow parses it, names, metric
values as protobuf JSON sends them, artifact paths and listings."""

from __future__ import annotations

import math

import pytest

from amlite.domain.errors import InvalidInput
from amlite.domain.tracking import (
    ArtifactEntry,
    ArtifactFile,
    artifact_path,
    check_key,
    list_directory,
    metric_value,
    whole_number,
    wire_float,
)
from amlite.domain.tracking_search import (
    RUN_ORDER_ATTRIBUTES,
    Comparison,
    OrderBy,
    parse_experiment_filter,
    parse_order_by,
    parse_run_filter,
)


def test_run_filters_parse_as_mlflow_parses_them() -> None:
    parsed = parse_run_filter("metrics.acc >= 0.9 AND params.`learning rate` = '0.1' and tags.\"a b\" LIKE 'x%' "
                              "and attributes.run_id IN ('r1', 'r2') and run_name != 'z' and tags.t IS NULL "
                              "and created > 5")
    assert parsed == (
        Comparison("metric", "acc", ">=", 0.9), Comparison("param", "learning rate", "=", "0.1"),
        Comparison("tag", "a b", "LIKE", "x%"), Comparison("attribute", "run_id", "IN", ("r1", "r2")),
        Comparison("attribute", "run_name", "!=", "z"), Comparison("tag", "t", "IS NULL", None),
        Comparison("attribute", "start_time", ">", 5.0),
    )
    assert parse_run_filter("") == () and parse_run_filter(None) == ()
    assert parse_experiment_filter("name ILIKE '%Digits%'") == (Comparison("attribute", "name", "ILIKE", "%Digits%"),)


@pytest.mark.parametrize("bad", [
    "metrics.acc = 'high'", "params.lr > 0.1", "tags.a = 'b' OR tags.c = 'd'", "color = 'red'", "foo.x = 1",
    "metrics.acc >", "metrics.acc = 1 and", "tags.a IN ('x')", "status = FINISHED", "metrics.acc ~ 1",
])
def test_what_mlflow_refuses_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_run_filter(bad)
    assert refused.value.code == "INVALID_PARAMETER_VALUE"


def test_order_by() -> None:
    assert parse_order_by("metrics.acc DESC", RUN_ORDER_ATTRIBUTES) == OrderBy("metric", "acc", False)
    assert parse_order_by("start_time", RUN_ORDER_ATTRIBUTES) == OrderBy("attribute", "start_time", True)
    assert parse_order_by("params.`my p` asc", RUN_ORDER_ATTRIBUTES) == OrderBy("param", "my p", True)
    with pytest.raises(InvalidInput):
        parse_order_by("bogus DESC", RUN_ORDER_ATTRIBUTES)


def test_names_values_and_paths() -> None:
    assert check_key("metric", "val/loss: top-1.x") == "val/loss: top-1.x"
    for bad in ("", "a" * 251, "../x", "/abs", "a\\b", "semi;colon"):
        with pytest.raises(InvalidInput):
            check_key("metric", bad)
    assert math.isnan(metric_value("NaN", "m")) and metric_value("-Infinity", "m") == -math.inf
    assert metric_value("0.25", "m") == 0.25 and metric_value(3, "m") == 3.0
    for bad_value in (True, "high", None, [1]):
        with pytest.raises(InvalidInput):
            metric_value(bad_value, "m")
    assert (wire_float(math.nan), wire_float(math.inf), wire_float(1.5)) == ("NaN", "Infinity", 1.5)
    assert whole_number("1700000000000", "t") == 1700000000000 and whole_number(None, "step", 0) == 0
    with pytest.raises(InvalidInput):
        whole_number("soon", "t")
    assert artifact_path("model/weights.bin") == "model/weights.bin"
    for bad_path in ("../x", "a/../../b", "a//b", "a\\b"):
        with pytest.raises(InvalidInput):
            artifact_path(bad_path)


def test_listing_a_directory_of_a_run() -> None:
    files = [ArtifactFile("model/weights.bin", "a" * 64, 10), ArtifactFile("model/conf/c.yaml", "b" * 64, 3),
             ArtifactFile("notes.txt", "c" * 64, 5)]
    assert list_directory(files, "") == [ArtifactEntry("model", True, None), ArtifactEntry("notes.txt", False, 5)]
    assert list_directory(files, "model") == [ArtifactEntry("model/conf", True, None),
                                              ArtifactEntry("model/weights.bin", False, 10)]
    assert list_directory(files, "notes.txt") == [ArtifactEntry("notes.txt", False, 5)]
    assert list_directory(files, "nothing") == []
