"""Settings: typed, frozen, read once; bad values stop start-up with a message that helps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tarjama.worker.errors import ConfigurationError
from tarjama.worker.settings import Settings, load_settings


def test_defaults_are_the_real_models_and_documented_limits() -> None:
    settings = load_settings()
    assert settings.translation_model == "Helsinki-NLP/opus-mt-ar-en"
    assert settings.summary_model == "sshleifer/distilbart-cnn-12-6"
    assert settings.result_ttl == 7 * 24 * 3600
    assert settings.max_article_chars == 100_000
    assert settings.soft_time_limit < settings.time_limit < settings.visibility_timeout


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.result_ttl = 5  # type: ignore[misc]


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARJAMA_RESULT_TTL", "60")
    monkeypatch.setenv("TARJAMA_OFFLINE", "true")
    settings = load_settings()
    assert settings.result_ttl == 60
    assert settings.offline is True


BAD = [
    ("TARJAMA_RESULT_TTL", "-5", "greater than 0"),
    ("TARJAMA_RESULT_TTL", "a week", "valid integer"),
    ("TARJAMA_TORCH_THREADS", "0", "greater than or equal to 1"),
    ("TARJAMA_OFFLINE", "perhaps", "valid boolean"),
    ("TARJAMA_DEVICE", "tpu", "'cpu', 'cuda' or 'auto'"),
    ("TARJAMA_ENGINE", "onnx", "transformers"),
    ("TARJAMA_REDIS_URL", "http://localhost:6379", "redis://, rediss://"),
    ("TARJAMA_BROKER_URL", "amqp://guest@localhost//", "scheme 'amqp'"),
    ("TARJAMA_MAX_ARTICLE_CHARS", "0", "greater than 0"),
    ("TARJAMA_TIME_LIMIT", "100000", "TARJAMA_VISIBILITY_TIMEOUT"),
    ("TARJAMA_SOFT_TIME_LIMIT", "5000", "must be below TARJAMA_TIME_LIMIT"),
    ("TARJAMA_ROLE", "janitor", "'all', 'translate' or 'summarize'"),
    ("TARJAMA_UNSUPPORTED_LANGUAGES", "translate", "'fail' or 'passthrough'"),
    ("TARJAMA_LANGUAGE_MIN_CONFIDENCE", "0.3", "greater than or equal to 0.5"),
    ("TARJAMA_LANGUAGE_MIN_WORDS", "0", "greater than or equal to 1"),
]


@pytest.mark.parametrize(("var", "value", "allowed"), BAD)
def test_bad_value_names_the_variable_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, allowed: str
) -> None:
    # Given one bad environment variable
    monkeypatch.setenv(var, value)
    # When settings are read at start-up
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    # Then the message names it, shows the value (field errors) and says what is allowed
    message = caught.value.message
    assert allowed in message
    if var not in ("TARJAMA_TIME_LIMIT", "TARJAMA_SOFT_TIME_LIMIT"):
        assert var in message
        assert repr(value) in message


def test_rediss_and_sentinel_urls_are_accepted() -> None:
    assert load_settings(redis_url="rediss://:secret@redis.example:6380/0").broker.startswith(
        "rediss://"
    )
    sentinel = "sentinel://:pw@10.0.0.1:26379/0;sentinel://10.0.0.2:26379/0"
    settings = load_settings(broker_url=sentinel, redis_sentinel_master="tarjama")
    assert settings.broker == sentinel


@pytest.mark.parametrize("var", ["TARJAMA_REDIS_URL", "TARJAMA_BROKER_URL", "TARJAMA_RESULT_URL"])
def test_a_sentinel_url_without_a_master_name_is_refused(
    monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    # Given a sentinel:// URL and no master name
    monkeypatch.setenv(var, "sentinel://10.0.0.1:26379;sentinel://10.0.0.2:26379")
    # When settings are read at start-up
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    # Then the message names both settings
    assert var in caught.value.message
    assert "TARJAMA_REDIS_SENTINEL_MASTER" in caught.value.message


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sentinel://10.0.0.1:26379;redis://10.0.0.2:6379", "every address of a sentinel URL"),
        ("sentinel://10.0.0.1:26379/zero", "database in a sentinel URL is a number"),
        ("sentinel://:pw@/0", "needs a host"),
    ],
)
def test_a_malformed_sentinel_url_is_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        load_settings(redis_url=url, redis_sentinel_master="tarjama")


def test_the_sentinel_password_is_never_shown() -> None:
    settings = load_settings(redis_sentinel_password="s3cret")
    assert "s3cret" not in str(settings.redis_sentinel_password)
    assert "s3cret" not in repr(settings)


def test_broker_and_results_default_to_redis_url() -> None:
    settings = load_settings(redis_url="redis://10.1.1.1:6379/3")
    assert settings.broker == settings.results == "redis://10.1.1.1:6379/3"
    assert settings.redis_explicit
    assert not Settings().redis_explicit
