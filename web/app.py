"""The web application's one factory: settings, templates, static CSS, security headers, routers.

Later pages (the team's work lists) add a router here and extend templates/base.html and
static/sbrflow.css; they get the same headers, CSRF signer and log masking.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from sbrflow.config.settings import get_settings
from sbrflow.domain.client_message import PRODUCT_NAMES, amount_due_text, format_date, format_euros
from sbrflow.domain.payment_reference import format_payment_reference
from sbrflow.web.security import CsrfSigner, RateLimiter, SecurityHeaders, csrf_key, install_log_masking

HERE = Path(__file__).parent
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def make_templates() -> Jinja2Templates:
    """The Jinja2 environment with the office's Dutch formats as filters."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["euro"] = lambda v: "-" if v is None else format_euros(v)
    env.filters["te_betalen"] = lambda v: "-" if v is None else amount_due_text(v)
    env.filters["datum"] = lambda v: "-" if v is None else format_date(v)
    env.filters["kenmerk"] = lambda v: "-" if not v else format_payment_reference(v)
    env.filters["tijd"] = lambda v: "-" if v is None else v.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")
    env.filters["product"] = lambda v: PRODUCT_NAMES.get(getattr(v, "value", v), str(v)).capitalize()
    return templates


@asynccontextmanager
async def _lifespan(app: FastAPI):
    # Synchronous endpoints run in AnyIO's thread pool (40 threads by default). Each request holds the
    # GIL for a few milliseconds, so more threads than database connections only add switching.
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.web_threads
    # What is loaded by now (modules, the app, templates: ~180,000 objects) lives as long as the process.
    # Out of the collector's way, a full collection walks only the requests' objects: without it every
    # ~15th "Mijn werk" of 2,000 rows paid ~90 ms for one (bench/README.md, team section).
    import gc

    gc.collect()
    gc.freeze()
    yield


def create_app() -> FastAPI:
    """The sbrflow web application (client approval pages; team pages plug in the same way)."""
    from sbrflow.web import approval, crm_api_query, team, team_api

    settings = get_settings()
    install_log_masking()
    # OpenAPI of the team's JSON API (/api/…); no interactive docs (they would load scripts from elsewhere).
    app = FastAPI(title="sbrflow", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=_lifespan)
    app.state.settings = settings
    app.state.templates = make_templates()
    app.state.csrf = CsrfSigner(csrf_key(settings.web_secret_key, settings.var_dir))
    app.state.lookup_limiter = RateLimiter(settings.approval_lookups_per_minute)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/health", include_in_schema=False)
    def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/logo", include_in_schema=False)
    def logo() -> Response:
        path = settings.office_logo
        if path is None or not Path(path).is_file() or Path(path).suffix.lower() not in _LOGO_TYPES:
            return Response(status_code=404)
        return FileResponse(path, media_type=_LOGO_TYPES[Path(path).suffix.lower()])

    app.include_router(approval.router)
    app.state.team_home, app.state.team_has_work = "/team/werk", True
    app.include_router(team.router)
    app.include_router(team_api.router)
    from sbrflow.web import crm_api_records  # notes, follow-ups, persons under /api/crm/

    app.include_router(crm_api_records.router)
    app.include_router(crm_api_query.router)  # /api/crm/… search, queries, properties, risk
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the web application with uvicorn (several worker processes share var/web-secret-key)."""
    import uvicorn

    if workers > 1:
        settings = get_settings()
        csrf_key(settings.web_secret_key, settings.var_dir)  # made once, before the workers start
        uvicorn.run("sbrflow.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", server_header=False)
        return
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="info", server_header=False)
    install_log_masking()  # after uvicorn configured its loggers: the access log shows /a/AbCd… only
    uvicorn.Server(config).run()
