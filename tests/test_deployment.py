"""compose.yaml and the Dockerfile keep their invariants (no container engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tarjama.worker.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", duration))


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment as a mapping"
    return {k: str(v) for k, v in env.items()}


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {"redis", "worker", "intake", "flower"}


def test_tarjama_services_share_one_image_and_use_exec_form(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("worker", "intake", "flower"):
        assert services[name]["image"] == "tarjama:latest", name
        assert isinstance(services[name]["command"], list), f"{name}: exec form"


def test_redis_persists_never_evicts_and_has_a_password(compose: dict[str, Any]) -> None:
    redis = compose["services"]["redis"]
    command = redis["command"]
    assert isinstance(command, list), "exec form"
    pairs = dict(zip(command[1::2], command[2::2], strict=False))
    assert pairs["--appendonly"] == "yes"
    assert pairs["--maxmemory-policy"] == "noeviction"
    assert pairs["--requirepass"].startswith("${REDIS_PASSWORD:?")
    assert any(v.endswith(":/data") for v in redis["volumes"])
    assert redis["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")


def test_one_image_for_worker_and_flower(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["worker"]["image"] == services["flower"]["image"]
    assert "build" in services["worker"]
    assert "build" not in services["flower"]  # built once, used twice


def test_worker_exec_form_cache_volume_healthcheck_and_grace(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert isinstance(worker["command"], list), "exec form: the worker gets SIGTERM itself"
    assert worker["command"][0] == "worker"
    env = _env(worker)
    cache = env["TARJAMA_MODEL_CACHE_DIR"]
    named = {f"{name}:{cache}" for name in compose["volumes"]}
    assert named & set(worker["volumes"]), "model cache on a named volume"
    assert "redis://:${REDIS_PASSWORD:?" in env["TARJAMA_REDIS_URL"]
    check = " ".join(worker["healthcheck"]["test"])
    assert "inspect ping" in check
    # the grace period outlasts the longest job; the limits nest as the settings demand
    settings = load_settings(
        soft_time_limit=env["TARJAMA_SOFT_TIME_LIMIT"],
        time_limit=env["TARJAMA_TIME_LIMIT"],
        visibility_timeout=env["TARJAMA_VISIBILITY_TIMEOUT"],
    )
    assert _seconds(worker["stop_grace_period"]) > settings.time_limit
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"


def test_flower_requires_auth(compose: dict[str, Any]) -> None:
    flower = compose["services"]["flower"]
    env = _env(flower)
    assert env["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert "FLOWER_UNAUTHENTICATED_API" not in env
    assert isinstance(flower["command"], list)
    assert flower["command"][0] == "flower"
    for port in flower.get("ports", []):
        assert str(port).startswith("127.0.0.1:"), "published on loopback only"


def test_dockerfile_exec_form_and_pinned_torch() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["tarjama"]' in text
    assert "STOPSIGNAL SIGTERM" in text
    assert '"torch==2.13.0"' in text
    assert re.search(r"^USER \w+", text, re.M), "not root"
