"""Real parts: a redis-server started for the session, tiny real models built for the
session, and real ``tarjama worker`` processes (prefork) consuming from that Redis.

``TARJAMA_TEST_REDIS_URL=redis://host:6379/15`` runs the suite against an existing Redis
instead; give it a database nobody else uses: the suite flushes it.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis

from tarjama.tasks.client import TarjamaClient
from tarjama.worker.embedded import EmbeddedRedis
from tarjama.worker.settings import Settings
from tarjama.worker.subprocesses import WorkerProcess
from tarjama.worker.text import split_paragraphs, split_sentences
from tarjama.worker.tiny_models import ENGLISH_LINES, build_tiny_models, sample_article_path
from tests.helpers import Contract, settings_from_env

REPO = Path(__file__).resolve().parents[1]
SHARED_SAMPLE = REPO.parent / "shared" / "samples" / "article-ar.txt"

# The suite sets every TARJAMA_* itself: a developer's environment must not leak in.
TEST_REDIS_ENV = "TARJAMA_TEST_REDIS_URL"
_EXTERNAL_REDIS = os.environ.get(TEST_REDIS_ENV)
for _name in [n for n in os.environ if n.startswith("TARJAMA_")]:
    del os.environ[_name]
os.environ["TOKENIZERS_PARALLELISM"] = "false"
# whatever a test builds or converts lands in the session's own cache, never the user's
os.environ["TARJAMA_MODEL_CACHE_DIR"] = tempfile.mkdtemp(prefix="tarjama-test-cache-")
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def real_article() -> str:
    """The real Arabic news article in ../shared/samples (about 6 KB, 17 paragraphs)."""
    if not SHARED_SAMPLE.is_file():
        pytest.fail(f"{SHARED_SAMPLE} is missing: the tests read the shared sample article")
    return SHARED_SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def corpus_lines(real_article: str) -> list[str]:
    """A few hundred lines to train the tiny tokenizers on."""
    arabic = [
        s
        for text in (real_article, sample_article_path().read_text("utf-8"))
        for p in split_paragraphs(text)
        for s in split_sentences(p)
    ]
    english = list(ENGLISH_LINES)
    variants = [line.lower() for line in english] + [line.upper() for line in english]
    return arabic + english + variants + [" ".join(arabic[i : i + 2]) for i in range(len(arabic))]


#: The tiny MarianMT's real token count function, and its input limit from the model config.
TokenCount = tuple[Callable[[str], int], int]


@pytest.fixture(scope="session")
def tiny_models(
    tmp_path_factory: pytest.TempPathFactory, corpus_lines: list[str]
) -> dict[str, Path]:
    return build_tiny_models(tmp_path_factory.mktemp("models"), corpus_lines)


@pytest.fixture(scope="session")
def marian_count(tiny_models: dict[str, Path]) -> TokenCount:
    """The tiny MarianMT's real token count, and its input limit from the model config."""
    from transformers import AutoConfig, AutoTokenizer

    from tarjama.worker.models.transformers.common import input_limit

    tokenizer = AutoTokenizer.from_pretrained(tiny_models["marian"])
    limit = input_limit(AutoConfig.from_pretrained(tiny_models["marian"]), tokenizer)

    def count(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    return count, limit


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if _EXTERNAL_REDIS:
        Redis.from_url(_EXTERNAL_REDIS).flushdb()
        yield _EXTERNAL_REDIS
        Redis.from_url(_EXTERNAL_REDIS).flushdb()
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract()


@pytest.fixture(autouse=True)
def _stored_results_follow_the_contract(
    request: pytest.FixtureRequest, contract: Contract
) -> Iterator[None]:
    """After each test that used Redis: every stored result validates against the schema."""
    if "redis_url" not in request.fixturenames:
        yield
        return
    redis = Redis.from_url(request.getfixturevalue("redis_url"))
    yield
    try:
        contract.check_stored_results(redis)
    finally:
        redis.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_env(
    redis_url: str, tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """TARJAMA_* for workers and clients of this session (tiny models, this Redis)."""
    return {
        "TARJAMA_REDIS_URL": redis_url,
        "TARJAMA_TRANSLATION_MODEL": str(tiny_models["marian"]),
        "TARJAMA_SUMMARY_MODEL": str(tiny_models["bart"]),
        "TARJAMA_MODEL_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        "TARJAMA_OFFLINE": "true",
        "TARJAMA_TRANSLATION_BEAMS": "2",
    }


@pytest.fixture(scope="session")
def settings(base_env: dict[str, str]) -> Settings:
    return settings_from_env(base_env)


StartWorker = Callable[..., WorkerProcess]


@pytest.fixture(scope="session")
def worker_factory(
    base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartWorker]:
    """Start real ``tarjama worker`` processes; each is stopped at the end of the session."""
    started: list[WorkerProcess] = []
    logs = tmp_path_factory.mktemp("worker-logs")

    def start(
        *args: str, env: dict[str, str] | None = None, name: str | None = None
    ) -> WorkerProcess:
        name = name or f"w{uuid.uuid4().hex[:6]}"
        full_env = {**os.environ, **base_env, **(env or {})}
        proc = WorkerProcess(full_env, logs / f"{name}.log", name=name, args=args)
        started.append(proc.start())
        proc.wait_ready(TarjamaClient(settings_from_env(full_env)).app)
        return proc

    yield start
    for proc in started:
        proc.stop(grace=10)


ClientFor = Callable[[dict[str, str]], TarjamaClient]


@pytest.fixture(scope="session")
def client_for(base_env: dict[str, str]) -> ClientFor:
    """A client with the session's settings plus ``env`` (e.g. a worker's own queues)."""

    def make(env: dict[str, str]) -> TarjamaClient:
        return TarjamaClient(settings_from_env({**base_env, **env}))

    return make


@pytest.fixture(scope="session")
def worker(worker_factory: StartWorker) -> WorkerProcess:
    """The session's main worker: prefork, 2 processes, all roles."""
    return worker_factory("--concurrency=2", name="main")


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TarjamaClient]:
    client = TarjamaClient(settings)
    yield client
    client.close()
