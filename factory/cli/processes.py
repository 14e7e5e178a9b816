"""The long-running processes: ``serve`` (the web application, the worker as a thread) and
``worker`` (timers and deliveries, on its own)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import (
    database_option,
    load_runtime,
    open_database,
    retention_option,
    site_config_option,
    uploads_option,
)


@click.command()
@database_option
@site_config_option
@click.option("--once", is_flag=True, help="Process what is due, then stop.")
@click.option("--batch", default=50, show_default=True, help="Rows claimed at a time.")
@uploads_option
@retention_option(
    "--draft-retention-days",
    help="Anonymous drafts idle for longer are deleted with their files",
)
@click.option(
    "--rollup-every",
    envvar="GUICHET_ROLLUP_EVERY_SECONDS",
    default=60,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between two refreshes of the dashboards' statistics "
    "(env GUICHET_ROLLUP_EVERY_SECONDS).",
)
@click.option(
    "--metrics-port",
    envvar="GUICHET_WORKER_METRICS_PORT",
    type=click.IntRange(min=1, max=65535),
    help="Serve this worker's Prometheus metrics (delivery latency) on this port "
    "(env GUICHET_WORKER_METRICS_PORT); none by default.",
)
@click.option(
    "--metrics-host",
    envvar="GUICHET_WORKER_METRICS_HOST",
    default="127.0.0.1",
    show_default=True,
    help="The address the metrics port listens on (env GUICHET_WORKER_METRICS_HOST).",
)
def worker(
    database: str,
    site: str | None,
    once: bool,
    batch: int,
    uploads: str,
    draft_retention_days: int,
    rollup_every: int,
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Fire due timers and deliver the outbox through the site's connectors."""
    import datetime as dt
    import logging
    import threading

    from connectors.registry import ConnectorRegistry, RegistryError
    from engine.db import make_session_factory
    from engine.storage import from_settings
    from engine.worker import Worker, stop_on_signals

    from ..config import from_environment
    from ..observability import json_logging, timed

    settings = from_environment()
    if settings["LOG_FORMAT"] == "json":
        json_logging()
    else:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime = load_runtime(site)
    try:
        storage = from_settings(settings, Path(uploads))  # GUICHET_STORAGE, GUICHET_S3_*
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    try:
        registry = ConnectorRegistry(runtime.site, storage=storage)
    except RegistryError as error:
        raise click.ClickException(str(error)) from error
    engine = open_database(database)
    the_worker = Worker(
        runtime,
        make_session_factory(engine),
        timed(registry.deliver),
        batch=batch,
        draft_retention_days=draft_retention_days,
        rollup_every=dt.timedelta(seconds=rollup_every),
        uploads=storage,
    )
    stop = threading.Event()
    stop_on_signals(stop)  # SIGTERM: finish the delivery in flight, then exit
    the_worker.stopping = stop
    try:
        if once:
            while the_worker.run_once() and not stop.is_set():
                pass
            return
        if metrics_port:
            from prometheus_client import start_http_server

            start_http_server(metrics_port, addr=metrics_host)
        click.echo("The worker is running (Ctrl+C stops it).", err=True)
        the_worker.run(stop)
    finally:
        registry.close()
        engine.dispose()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@site_config_option
@click.option(
    "--procedures",
    envvar="GUICHET_PROCEDURES",
    type=click.Path(exists=True, file_okay=False),
    help="Publish the procedures of this folder at start (env GUICHET_PROCEDURES).",
)
@click.option(
    "--demo",
    is_flag=True,
    envvar="GUICHET_DEMO_ACCOUNTS",
    help="Create demo accounts (citizen, agent, supervisor, administrator).",
)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(
    host: str, port: int, site: str | None, procedures: str | None, demo: bool, threads: int
) -> None:
    """Run Guichet: the web application, with the worker as a thread (the embedded default)."""
    import logging

    from waitress import serve as waitress_serve

    from .. import create_app, freeze_what_stays
    from ..accounts import DEMO_PASSWORD

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    overrides = {"SITE": site, "PROCEDURES": procedures, "DEMO_ACCOUNTS": demo}
    overrides = {k: v for k, v in overrides.items() if v}
    # the embedded default: one process, the worker as a thread of it
    app = create_app(overrides={**overrides, "WORKER_THREAD": True})
    url = f"http://{host}:{port}/"
    click.echo(f"\nGuichet runs at {url}")
    if demo:
        click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, kind in (
            ("citoyen@demo.guichet.fr", "citizen"),
            ("agent@demo.guichet.fr", "agent"),
            ("responsable@demo.guichet.fr", "supervisor"),
            ("admin@demo.guichet.fr", "administrator"),
        ):
            click.echo(f"  {kind:<14} {email}")
    click.echo("Ctrl+C stops it.\n")
    freeze_what_stays()
    waitress_serve(app, host=host, port=port, threads=threads)
