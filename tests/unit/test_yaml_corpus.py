"""The YAML corpus (tests/corpus) through amlite's loaders: every valid file loads, every invalid
file is refused with a message naming the field its first line (``# error: <field>``) announces.

Beyond accept/reject, a few files pin what the loaders make of values Azure ML keeps as text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import amlite
from amlite.sdk.errors import ValidationException

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
KINDS = ("model", "environment", "component", "data", "datastore")


def corpus(validity: str) -> list[tuple[str, Path]]:
    return [(kind, path) for kind in KINDS for path in sorted((CORPUS / kind / validity).glob("*.yml"))]


def loader(kind: str):  # type: ignore[no-untyped-def]
    return getattr(amlite, f"load_{kind}")


def test_the_corpus_covers_every_kind() -> None:
    for kind in KINDS:
        assert len(list((CORPUS / kind / "valid").glob("*.yml"))) >= 8, kind
        assert len(list((CORPUS / kind / "invalid").glob("*.yml"))) >= 8, kind


@pytest.mark.parametrize(("kind", "path"), corpus("valid"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_valid_files_load(kind: str, path: Path) -> None:
    entity = loader(kind)(path)
    assert entity.name


@pytest.mark.parametrize(("kind", "path"), corpus("invalid"), ids=lambda v: v if isinstance(v, str) else v.name)
def test_invalid_files_are_refused_naming_the_field(kind: str, path: Path) -> None:
    announced = re.match(r"# error: (\S+)", path.read_text())
    assert announced, f"{path} must start with '# error: <field>'"
    with pytest.raises(ValidationException) as caught:
        loader(kind)(path)
    assert announced.group(1) in str(caught.value), str(caught.value)


def test_numbers_stay_the_text_they_were_written_as() -> None:
    model = amlite.load_model(CORPUS / "model/valid/folder_custom.yml")
    assert model.version == "1" and model.tags == {"framework": "sklearn", "python": "3.10"}
    assert amlite.load_model(CORPUS / "model/valid/version_quoted_string.yml").version == "1"
    tagged = amlite.load_model(CORPUS / "model/valid/job_name_and_tags.yml")
    assert tagged.tags == {"region": "East US", "accuracy": "0.95", "approved": "true"}
    env = amlite.load_environment(CORPUS / "environment/valid/tags_numeric_text.yml")
    assert env.version == "22.02-py3" and env.tags == {"python": "3.10", "cuda": "11.6"}
    component = amlite.load_component(CORPUS / "component/valid/string_default_keeps_text.yml")
    assert component.inputs["python_version"]["default"] == "3.10"


def test_typed_defaults_and_command_without_type() -> None:
    train = amlite.load_component(CORPUS / "component/valid/train_full.yml")
    assert train.inputs["learning_rate"]["default"] == 0.01
    assert train.inputs["max_epochs"]["default"] == 10
    assert train.inputs["early_stop"]["default"] is False
    hello = amlite.load_component(CORPUS / "component/valid/no_type.yml")
    assert isinstance(hello, amlite.CommandComponent) and hello.type == "command"


def test_relative_paths_resolve_against_the_yaml_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # not the corpus folder
    model = amlite.load_model(CORPUS / "model/valid/folder_custom.yml")
    assert model.resolve_local(str(model.path)).resolve() == (CORPUS / "assets/model").resolve()
    env = amlite.load_environment(CORPUS / "environment/valid/image_conda_path.yml")
    assert "scikit-learn" in str(env.conda_text())


def test_inline_conda_and_build_context() -> None:
    env = amlite.load_environment(CORPUS / "environment/valid/image_inline_conda.yml")
    assert isinstance(env.conda_file, dict) and "dependencies:" in str(env.conda_text())
    built = amlite.load_environment(CORPUS / "environment/valid/build_context.yml")
    assert built.build is not None and built.build.dockerfile_path == "Dockerfile" and built.image is None


def test_pipeline_children_are_loaded_with_the_pipeline() -> None:
    pipeline = amlite.load_component(CORPUS / "component/valid/pipeline_files_and_refs.yml")
    assert isinstance(pipeline, amlite.PipelineComponent)
    assert set(pipeline.child_components) == {"prep", "train"}  # 'report' is an azureml: reference
    assert pipeline.child_components["train"].name == "train_step"
    assert pipeline.jobs["report"]["component"] == "azureml:hello:1"


def test_params_override_as_azure_ai_ml() -> None:
    model = amlite.load_model(CORPUS / "model/valid/triton.yml",
                              params_override=[{"version": "4"}, {"tags.team": "vision"}, {"description": "x"}])
    assert (model.version, model.tags, model.description) == ("4", {"team": "vision"}, "x")


def test_error_target_is_the_field() -> None:
    with pytest.raises(ValidationException) as caught:
        amlite.load_component(CORPUS / "component/invalid/bad_input_type.yml")
    assert caught.value.error.code == "InvalidYaml"
    assert caught.value.error.target == "inputs.a.type"
    assert "bad_input_type.yml" in str(caught.value)


def test_sdk_entities_go_through_the_same_schema() -> None:
    assert amlite.Model(name="m", version=1, path="./x")._spec().version == "1"  # type: ignore[arg-type]
    with pytest.raises(ValidationException, match="name"):
        amlite.Model(name="bad name", path="./x")._spec()
    with pytest.raises(ValidationException, match="Invalid data binding expression: inputs.nope"):
        amlite.CommandComponent(name="c", command="echo ${{inputs.nope}}", environment="azureml:e:1")._spec()
