"""One stage vocabulary: the settings, the task names, the routes and the published contract
all follow from worker/stages.py."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from tarjama.worker.app import create_app
from tarjama.worker.contract import load_schema
from tarjama.worker.settings import Settings, load_settings
from tarjama.worker.stages import (
    KINDS,
    STAGES,
    SUMMARIZE,
    TASKS,
    TRANSLATE,
    Role,
    stage_for,
    stages_of,
)


def test_public_names_stay_as_published() -> None:
    # The task names, id prefixes and role values are the API producers and operators use
    assert {name: (kind.task, kind.id_prefix) for name, kind in KINDS.items()} == {
        "article": ("tarjama.process_article", "art"),
        "translation": ("tarjama.translate", "tr"),
        "summary": ("tarjama.summarize", "sum"),
    }
    assert get_args(Role) == ("all", "translate", "summarize")
    assert dict(TASKS) == {
        "tarjama.process_article": (KINDS["article"], TRANSLATE),
        "tarjama.process_article.summarize": (KINDS["article"], SUMMARIZE),
        "tarjama.translate": (KINDS["translation"], TRANSLATE),
        "tarjama.summarize": (KINDS["summary"], SUMMARIZE),
    }
    assert TRANSLATE.tasks == ("tarjama.process_article", "tarjama.translate")


def test_a_role_is_a_set_of_stages() -> None:
    assert stages_of("all") == STAGES == (TRANSLATE, SUMMARIZE)
    assert stages_of("translate") == (TRANSLATE,)
    assert stages_of("summarize") == (SUMMARIZE,)
    assert [stage_for(stage.model) for stage in STAGES] == list(STAGES)
    with pytest.raises(ValueError, match="no summarize stage"):
        KINDS["translation"].task_for(SUMMARIZE)


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.name)
def test_every_setting_named_after_a_stage_exists(stage: Any) -> None:
    # Given the settings a stage's name and model prefix (read by name: mypy cannot see them)
    named = [
        stage.queue_setting,
        stage.model_setting,
        stage.revision_setting,
        f"{stage.name}_concurrency",
        f"{stage.name}_torch_threads",
    ]
    # Then each is a documented field of Settings
    assert set(named) <= set(Settings.model_fields)


def test_every_task_the_app_registers_runs_a_stage_on_its_queue() -> None:
    # Given the app with its task modules imported (as a worker's parent does)
    app = create_app(load_settings(translate_queue="t", summarize_queue="s"))
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if name.startswith("tarjama.")}
    # Then each of them is a stage's task, routed to that stage's configured queue
    assert ours == set(TASKS)
    routes = app.conf.task_routes
    assert {name: routes[name]["queue"] for name in ours} == {
        name: {TRANSLATE: "t", SUMMARIZE: "s"}[stage] for name, (_, stage) in TASKS.items()
    }
    app.close()


def test_the_result_contract_has_the_kinds_and_models_of_the_vocabulary() -> None:
    document = load_schema("result")["$defs"]["document"]
    # The result's kind is a job kind; its models are keyed by the stages' models
    assert document["properties"]["kind"]["enum"] == list(KINDS)
    assert set(document["properties"]["models"]["properties"]) == {s.model for s in STAGES}
    # and a kind's result has a model for exactly the stages it runs (an article that the
    # language gate passed through whole ran its translate stage only)
    for branch in document["allOf"]:
        condition = branch["if"]["properties"]
        kind = KINDS[condition["kind"]["const"]]
        passed_through = condition.get("language", {}).get("properties", {}).get("passthrough")
        stages = (TRANSLATE,) if passed_through == {"const": True} else kind.stages
        models = branch["then"]["properties"]["models"]["properties"]
        assert {model for model, shape in models.items() if shape["type"] == "object"} == {
            stage.model for stage in stages
        }
