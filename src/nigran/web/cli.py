"""``nigran serve``: the web application under uvicorn (a thin adapter; the app is :func:`create_app`)."""

from __future__ import annotations

import os

import typer

from nigran.cli_support import STATE, console


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (production: several)"),
    jobs: bool = typer.Option(True, "--jobs/--no-jobs", help="Run the background-job consumer inside"),
) -> None:
    """Serve the web application (pages, the API under /api) on the database of --db.

    Example: nigran serve --host 0.0.0.0 --port 8000 --workers 4
    """
    import uvicorn

    from nigran.web.app import create_app

    url = STATE.settings.database_url
    STATE.db  # noqa: B018  (refuses a missing SQLite file before uvicorn starts)
    console.print(f"Nigran on http://{host}:{port}/ (database: {url})")
    if workers == 1:
        uvicorn.run(create_app(STATE.settings, embedded_jobs=jobs), host=host, port=port, log_level="info")
        return
    # Several processes: each builds its app from the environment (uvicorn's factory mode).
    os.environ["NIGRAN_DATABASE_URL"] = url
    os.environ["NIGRAN_EMBEDDED_JOBS"] = "1" if jobs else "0"
    uvicorn.run(
        "nigran.web.app:factory", factory=True, host=host, port=port, workers=workers, log_level="info"
    )
