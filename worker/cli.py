"""The ``tarjama`` command: thin wrappers over the client, the app and the demo."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, get_args

import click

from tarjama.worker.errors import ConfigurationError, ModelUnavailable
from tarjama.worker.evaluation.options import evaluation_options
from tarjama.worker.settings import Settings, load_settings
from tarjama.worker.stages import KINDS, TRANSLATE, Role, stages_of

F = TypeVar("F", bound=Callable[..., Any])
ROLES = get_args(Role)
EXIT_CONFIG = 2
EXIT_MODEL = 3


def friendly_errors(func: F) -> F:
    """Configuration and model problems end the command with their message, no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigurationError as exc:
            click.echo(f"tarjama: {exc.message}", err=True)
            sys.exit(EXIT_CONFIG)
        except ModelUnavailable as exc:
            click.echo(f"tarjama: {exc.message}", err=True)
            sys.exit(EXIT_MODEL)

    return wrapper  # type: ignore[return-value]


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group()
def main() -> None:
    """tarjama: Arabic news articles to English translations and summaries, on Celery."""


@main.command()
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="Stages to run (and models to load); default TARJAMA_ROLE or all.",
)
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes.")
@click.option(
    "--pool",
    default="prefork",
    show_default=True,
    type=click.Choice(["prefork", "solo", "threads"]),
)
@click.option("--hostname", "-n", default=None, help="Node name, e.g. translate1@%h.")
@click.option("--skip-preflight", is_flag=True, help="Start even if models cannot be found.")
@friendly_errors
def worker(
    role: Role | None,
    concurrency: int | None,
    pool: str,
    hostname: str | None,
    skip_preflight: bool,
) -> None:
    """Start a Celery worker with tarjama's options (events on, JSON only, acks late)."""
    from tarjama.worker.app import create_app
    from tarjama.worker.language import model_path as language_model_path
    from tarjama.worker.models.registry import prepare
    from tarjama.worker.models.spec import ModelSpec

    settings = load_settings(**({"role": role} if role else {}))
    settings = settings.for_role(settings.role)  # the role's own concurrency and threads
    if concurrency:
        settings = settings.model_copy(update={"concurrency": concurrency})
    app = create_app(settings)
    app.runtime.styles  # noqa: B018 - validates every style file before starting
    if not skip_preflight:
        # In this (parent) process: finds or downloads weights, converts them for the
        # engine (in a child process), so forked workers find them ready; never imports torch.
        for stage in stages_of(settings.role):
            prepare(ModelSpec.for_stage(stage, settings), settings)
        if TRANSLATE in stages_of(settings.role):
            language_model_path()  # the language gate's (found, not loaded: no fork issue)
    argv = [
        "worker",
        f"--loglevel={settings.log_level}",
        f"--concurrency={settings.worker_concurrency}",
        f"--pool={pool}",
        f"--queues={','.join(app.queues_for(settings.role))}",
        "--task-events",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(list(KINDS)), default="article", show_default=True)
@click.option("--style", default=None, help="Summary style (see prompts/).")
@click.option("--title", default=None)
@click.option("--wait", "wait_", is_flag=True, help="Wait and print each result.")
@click.option("--timeout", type=float, default=900.0, show_default=True)
@click.option("--force", is_flag=True, help="Compute again even if a result is stored.")
@friendly_errors
def submit(
    files: tuple[str, ...],
    kind: str,
    style: str | None,
    title: str | None,
    wait_: bool,
    timeout: float,
    force: bool,
) -> None:
    """Submit article files (.txt, .html, or .json job objects); print the job ids."""
    from tarjama.tasks.client import SubmitError, TarjamaClient

    client = TarjamaClient(load_settings())
    ids = []
    for name in files:
        job = job_from_file(Path(name), style=style, title=title)
        try:
            job_id = client.submit(job, kind=kind, force=force)  # type: ignore[arg-type]
        except SubmitError as exc:
            click.echo(f"tarjama: {exc}", err=True)
            sys.exit(1)
        ids.append(job_id)
        click.echo(job_id)
    if wait_:
        failed = False
        for job_id in ids:
            status = client.wait(job_id, timeout=timeout)
            failed |= not status.ok
            _dump(status.as_dict())
        sys.exit(1 if failed else 0)


def job_from_file(path: Path, *, style: str | None, title: str | None) -> dict[str, Any]:
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        job: dict[str, Any] = json.loads(raw)
    else:
        job = {"text": raw, "id": path.name}
        if path.suffix in (".html", ".htm"):
            job["format"] = "html"
    if style:
        job["summary_style"] = style
    if title:
        job["title"] = title
    return job


@main.command()
@click.argument("job_id")
@click.option("--wait", "wait_", is_flag=True, help="Wait until the job is done.")
@click.option("--timeout", type=float, default=900.0, show_default=True)
@friendly_errors
def result(job_id: str, wait_: bool, timeout: float) -> None:
    """Print a job's state, progress, result or error as JSON."""
    from tarjama.tasks.client import TarjamaClient

    client = TarjamaClient(load_settings())
    status = client.wait(job_id, timeout=timeout) if wait_ else client.status(job_id)
    _dump(status.as_dict())
    sys.exit(1 if status.state == "FAILURE" else 0)


@main.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--tiny",
    is_flag=True,
    help="Use tiny locally-built random-weight models (no download; output is noise).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored result as JSON.")
@friendly_errors
def demo(file: str | None, tiny: bool, as_json: bool) -> None:
    """Run one article through Redis and a worker, print the result, stop everything."""
    from tarjama.worker.demo import run_demo
    from tarjama.worker.tiny_models import sample_article_path

    path = Path(file) if file else sample_article_path()
    try:
        code = run_demo(path, tiny=tiny, as_json=as_json)
    except KeyboardInterrupt:
        click.echo("tarjama demo: interrupted; worker and Redis stopped", err=True)
        sys.exit(130)
    sys.exit(code)


@main.group()
def models() -> None:
    """Model weights: fetch ahead of time (image builds, offline machines)."""


@models.command("pull")
@click.option("--role", type=click.Choice(ROLES), default="all", show_default=True)
@friendly_errors
def models_pull(role: Role) -> None:
    """Download the configured models into TARJAMA_MODEL_CACHE_DIR (with progress bars) and
    convert them for the engine (CTranslate2: TARJAMA_COMPUTE_TYPE)."""
    from tarjama.worker.models.ctranslate2.conversion import (
        converted_dir,
        ensure_converted,
        is_converted,
    )
    from tarjama.worker.models.spec import ModelSpec
    from tarjama.worker.models.weights import locate

    settings = load_settings()
    compute_type = settings.compute_type
    for stage in stages_of(role):
        spec = ModelSpec.for_stage(stage, settings)
        checkpoint = locate(spec)
        click.echo(f"{stage.model}: {spec.name} -> {checkpoint}")
        if settings.engine != "ctranslate2":
            continue
        if not is_converted(converted_dir(spec, checkpoint, compute_type)):
            click.echo(f"{stage.model}: converting to CTranslate2 ({compute_type}), once…")
        converted = ensure_converted(spec, checkpoint, compute_type)
        click.echo(f"{stage.model}: CTranslate2 {compute_type} -> {converted}")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option("--port", type=int, default=5555, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True)
@click.argument("flower_args", nargs=-1, type=click.UNPROCESSED)
@friendly_errors
def flower(port: int, address: str, flower_args: tuple[str, ...]) -> None:
    """Start Flower (the dashboard) against the configured broker.

    Extra arguments go to Flower (e.g. --basic-auth=user:pass). Flower is refused on a
    non-loopback address without authentication (FLOWER_BASIC_AUTH or --basic-auth/--auth).
    """
    import os

    from tarjama.worker.app import create_app

    has_auth = any(a.startswith(("--basic-auth", "--auth")) for a in flower_args) or any(
        os.environ.get(v) for v in ("FLOWER_BASIC_AUTH", "FLOWER_AUTH")
    )
    if address not in ("127.0.0.1", "localhost", "::1") and not has_auth:
        raise ConfigurationError(
            f"refusing to expose Flower on {address} without authentication: set "
            "FLOWER_BASIC_AUTH=user:password (or pass --basic-auth / --auth)"
        )
    app = create_app(load_settings())
    app.start(["flower", f"--port={port}", f"--address={address}", *flower_args])


@main.command()
@click.option("--prometheus", is_flag=True, help="Prometheus text format instead of JSON.")
@friendly_errors
def stats(prometheus: bool) -> None:
    """Print the cluster-wide counters (jobs by outcome, sentences, cache, model loads)."""
    from tarjama.worker.connections import redis_client
    from tarjama.worker.metrics import Metrics, prometheus_text

    snapshot = Metrics(redis_client(load_settings())).snapshot()
    click.echo(prometheus_text(snapshot) if prometheus else json.dumps(snapshot, indent=2))


@main.command()
@click.option("--port", type=int, default=9808, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True)
@friendly_errors
def metrics(port: int, address: str) -> None:
    """Serve the counters for Prometheus at http://ADDRESS:PORT/metrics."""
    from tarjama.worker.connections import redis_client
    from tarjama.worker.metrics_server import serve

    serve(redis_client(load_settings()), address, port)


@main.group()
def evaluate() -> None:
    """Quality on your own test set: BLEU/chrF of translations, ROUGE of summaries.

    Runs the configured models through the worker's own pipeline (needs the eval extra:
    pip install 'tarjama[eval]'). Exit codes: 2 bad settings, 3 model unavailable, 4 a
    data file with malformed lines (rejected unless --skip-invalid) or no pairs at all.
    """


@evaluate.command("translation")
@evaluation_options("translation")
@friendly_errors
def evaluate_translation(**options: Any) -> None:
    """BLEU and chrF (sacrebleu, with signatures) of Arabic→English translations."""
    from tarjama.worker.evaluation.command import run_command

    sys.exit(run_command("translation", options))


@evaluate.command("summary")
@evaluation_options("summary")
@friendly_errors
def evaluate_summary(**options: Any) -> None:
    """ROUGE-1/2/L/Lsum (rouge-score, stemmed) of summaries, for each style asked."""
    from tarjama.worker.evaluation.command import run_command

    sys.exit(run_command("summary", options))


@main.command()
@click.option(
    "--consumer",
    default=None,
    help="Consumer name in the group (default TARJAMA_INTAKE_CONSUMER, else the host name); "
    "stable across restarts, unique per running intake.",
)
@friendly_errors
def intake(consumer: str | None) -> None:
    """Turn entries of the intake stream (XADD tarjama:intake * article '<json>') into jobs."""
    from tarjama.worker.intake import run_intake

    run_intake(load_settings(), consumer=consumer)


@main.command()
@friendly_errors
def failover() -> None:
    """Switch the Sentinel-managed Redis master to a replica, losing no write.

    Pauses writes on the master, waits until its replicas have them all, asks Sentinel to
    fail over, then makes the old master a replica and drops its clients, so that every
    client writes to the new master (a bare SENTINEL FAILOVER leaves the old one taking
    writes for about ten seconds, which are then lost). Writes wait a second or two.
    """
    from tarjama.worker.errors import FailoverFailed
    from tarjama.worker.failover import planned_failover

    try:
        switches = planned_failover(load_settings())
    except FailoverFailed as exc:
        click.echo(f"tarjama failover: {exc.message}", err=True)
        sys.exit(1)
    for done in switches:
        click.echo(
            f"master {done.old[0]}:{done.old[1]} -> {done.new[0]}:{done.new[1]} "
            f"(writes paused {done.paused_s:.2f}s)"
        )


@main.command()
@click.argument("name", type=click.Choice(["job", "result", "event"]))
def schema(name: str) -> None:
    """Print a JSON Schema of the contract: job (input), result (stored), event (stream)."""
    from tarjama.worker.contract import schema_file

    click.echo(schema_file(name).read_text(encoding="utf-8"), nl=False)  # type: ignore[arg-type]


@main.command("config")
@friendly_errors
def show_config() -> None:
    """Print every setting: its env var, current value and meaning."""
    settings = load_settings()
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        click.echo(f"TARJAMA_{name.upper():<28} {value!s:<36} {field.description or ''}")


if __name__ == "__main__":
    main()
