"""compose.yaml and the Dockerfile keep their invariants (no container engine runs here)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis import Redis
from redis.exceptions import RedisError

from tarjama.worker.embedded import EmbeddedRedis, find_redis_server, free_port
from tarjama.worker.redis_url import SentinelTarget
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


SINGLE = {"redis", "worker", "intake", "flower"}
HA_REDIS = ("redis-1", "redis-2", "redis-3")
SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
HA_TARJAMA = ("worker-ha", "intake-ha", "flower-ha")


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SINGLE | set(HA_REDIS + SENTINELS + HA_TARJAMA)


def test_every_service_is_in_one_profile(compose: dict[str, Any]) -> None:
    # `--profile ha` never starts the single-Redis stack beside it, nor the other way round
    for name, service in compose["services"].items():
        expected = ["single"] if name in SINGLE else ["ha"]
        assert service.get("profiles") == expected, name


@pytest.mark.parametrize("suffix", ["", "-ha"])
def test_tarjama_services_share_one_image_and_use_exec_form(
    compose: dict[str, Any], suffix: str
) -> None:
    services = compose["services"]
    for name in ("worker", "intake", "flower"):
        assert services[name + suffix]["image"] == "tarjama:latest", name
        assert isinstance(services[name + suffix]["command"], list), f"{name}: exec form"


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


@pytest.mark.parametrize("suffix", ["", "-ha"])
def test_one_image_for_worker_and_flower(compose: dict[str, Any], suffix: str) -> None:
    services = compose["services"]
    assert services["worker" + suffix]["image"] == services["flower" + suffix]["image"]
    assert "build" in services["worker" + suffix]
    assert "build" not in services["flower" + suffix]  # built once, used twice


@pytest.mark.parametrize("name", ["worker", "worker-ha"])
def test_worker_exec_form_cache_volume_healthcheck_and_grace(
    compose: dict[str, Any], name: str
) -> None:
    worker = compose["services"][name]
    assert isinstance(worker["command"], list), "exec form: the worker gets SIGTERM itself"
    assert worker["command"][0] == "worker"
    env = _env(worker)
    cache = env["TARJAMA_MODEL_CACHE_DIR"]
    named = {f"{name}:{cache}" for name in compose["volumes"]}
    assert named & set(worker["volumes"]), "model cache on a named volume"
    assert ":${REDIS_PASSWORD:?" in env["TARJAMA_REDIS_URL"]
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


@pytest.mark.parametrize("name", ["flower", "flower-ha"])
def test_flower_requires_auth(compose: dict[str, Any], name: str) -> None:
    flower = compose["services"][name]
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


def _flags(command: list[str]) -> dict[str, list[str]]:
    """``redis-server --a x --b y z`` as {"--a": ["x"], "--b": ["y", "z"]}."""
    flags: dict[str, list[str]] = {}
    current = None
    for word in command[1:]:
        if word.startswith("--"):
            current = word
            flags[current] = []
        elif current is not None:
            flags[current].append(word)
    return flags


def test_ha_redis_nodes_persist_never_evict_and_refuse_writes_without_a_replica(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    volumes = set()
    for name in HA_REDIS:
        redis = services[name]
        flags = _flags(redis["command"])
        assert flags["--appendonly"] == ["yes"], name
        assert flags["--maxmemory-policy"] == ["noeviction"], name
        # any node may become the master: each has the password and the replicas' password
        assert flags["--requirepass"][0].startswith("${REDIS_PASSWORD:?"), name
        assert flags["--masterauth"] == flags["--requirepass"], name
        # asynchronous replication: a master no replica has acknowledged for 10 s stops
        # taking writes (two replicas, so one of them may die)
        assert flags["--min-replicas-to-write"] == ["1"], name
        assert flags["--min-replicas-max-lag"] == ["10"], name
        assert flags["--replica-announce-ip"] == [name], name
        assert flags.get("--replicaof") == (None if name == "redis-1" else ["redis-1", "6379"])
        assert redis["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
        volumes |= {v for v in redis["volumes"] if v.endswith(":/data")}
    assert len(volumes) == len(HA_REDIS), "a volume of its own per node"


#: Sentinel directives that name the master set before their value.
PER_MASTER = {
    "monitor",
    "auth-pass",
    "down-after-milliseconds",
    "failover-timeout",
    "parallel-syncs",
}


def _sentinel_config(service: dict[str, Any]) -> dict[str, str]:
    """The config file a Sentinel service writes: {"sentinel monitor tarjama": "redis-1 ..."}."""
    script = service["command"][-1]
    lines = script.split("<<EOF", 1)[1].split("\nEOF", 1)[0].strip().splitlines()
    config = {}
    for line in lines:
        words = line.split(maxsplit=3)
        size = 1 + (words[0] == "sentinel") + (len(words) > 1 and words[1] in PER_MASTER)
        config[" ".join(words[:size])] = " ".join(line.split()[size:])
    return config


def test_three_sentinels_agree_before_a_failover(compose: dict[str, Any]) -> None:
    services = compose["services"]
    configs = [_sentinel_config(services[name]) for name in SENTINELS]
    assert all(c == configs[0] for c in configs)
    config = configs[0]
    # service names, not container addresses (which change when a container is recreated)
    assert config["sentinel resolve-hostnames"] == config["sentinel announce-hostnames"] == "yes"
    # quorum 2 of 3, watching the first node, with the master's password and their own
    assert config["sentinel monitor tarjama"] == "redis-1 6379 2"
    assert config["sentinel auth-pass tarjama"].startswith("${REDIS_PASSWORD:?")
    assert config["requirepass"].startswith("${SENTINEL_PASSWORD:?")
    assert config["sentinel sentinel-pass"] == config["requirepass"]
    # a failover (down-after + an election) fits in the time a command waits for it
    down_after_s = int(config["sentinel down-after-milliseconds tarjama"]) / 1000
    wait = float(_env(services["worker-ha"])["TARJAMA_REDIS_FAILOVER_WAIT"])
    assert down_after_s + 5 < wait
    # each keeps what it learned (its rewritten config) across restarts
    assert len({v for name in SENTINELS for v in services[name]["volumes"]}) == len(SENTINELS)


@pytest.mark.parametrize("name", HA_TARJAMA)
def test_ha_processes_follow_the_master_through_every_sentinel(
    compose: dict[str, Any], name: str
) -> None:
    env = _env(compose["services"][name])
    assert env["TARJAMA_REDIS_URL"].startswith("sentinel://:${REDIS_PASSWORD:?")
    resolved = {k: re.sub(r"\$\{(\w+):\?[^}]*\}", "secret", v) for k, v in env.items()}
    target = SentinelTarget.parse(resolved["TARJAMA_REDIS_URL"])
    assert target.sentinels == tuple((s, 26379) for s in SENTINELS)
    assert target.password == "secret"
    config = _sentinel_config(compose["services"]["sentinel-1"])
    monitored = next(k.split()[2] for k in config if k.startswith("sentinel monitor "))
    assert env["TARJAMA_REDIS_SENTINEL_MASTER"] == monitored
    assert env["TARJAMA_REDIS_SENTINEL_PASSWORD"].startswith("${SENTINEL_PASSWORD:?")
    # the settings a process would read from this environment are valid
    settings = load_settings(
        redis_url=resolved["TARJAMA_REDIS_URL"],
        redis_sentinel_master=resolved["TARJAMA_REDIS_SENTINEL_MASTER"],
        redis_sentinel_password=resolved["TARJAMA_REDIS_SENTINEL_PASSWORD"],
    )
    assert settings.broker == settings.results == resolved["TARJAMA_REDIS_URL"]


def _resolved(text: str) -> str:
    """Compose's ${VAR:?message} replaced by a value, and $$ by $ (what a container gets)."""
    return re.sub(r"\$\{(\w+):\?[^}]*\}", "secret", text).replace("$$", "$")


def test_the_ha_redis_and_sentinel_configurations_start_a_real_server(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """The flags and the Sentinel file are what a real redis-server accepts (not just YAML)."""
    services = compose["services"]
    flags = tuple(_resolved(word) for word in services["redis-1"]["command"][1:])
    master = EmbeddedRedis(extra_args=flags)
    with master:
        client = Redis("127.0.0.1", master.port, password="secret")
        assert client.config_get("min-replicas-to-write") == {"min-replicas-to-write": "1"}
        assert client.config_get("min-replicas-max-lag") == {"min-replicas-max-lag": "10"}
        client.close()
        script = _resolved(services["sentinel-1"]["command"][-1])
        body = script.split("<<EOF", 1)[1].split("\nEOF", 1)[0].strip()
        port = free_port()
        conf = tmp_path / "sentinel.conf"
        conf.write_text(
            body.replace("port 26379", f"port {port}")
            .replace("redis-1 6379", f"127.0.0.1 {master.port}")
            .replace("$HOSTNAME", "127.0.0.1")
            + "\n"
        )
        sentinel = subprocess.Popen(
            [find_redis_server(), str(conf), "--sentinel"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            client = Redis("127.0.0.1", port, password="secret")
            deadline = time.monotonic() + 20
            while True:
                try:
                    state: Any = client.sentinel_master("tarjama")
                    break
                except RedisError:
                    assert sentinel.poll() is None, "the Sentinel refused its configuration"
                    assert time.monotonic() < deadline, "the Sentinel never answered"
                    time.sleep(0.1)
            assert state["port"] == master.port
            assert state["quorum"] == 2
            assert state["down-after-milliseconds"] == 5000
            client.close()
        finally:
            sentinel.terminate()
            sentinel.wait(timeout=10)
            assert sentinel.stderr is not None
            sentinel.stderr.close()
