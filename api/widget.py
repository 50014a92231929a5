"""The embeddable chat widget: `/static/widget.js` (+ its CSS) and a demo clinic page at `/`.

Any site embeds the widget with one tag:
`<script src="https://clinic.example/static/widget.js" data-api="https://clinic.example" defer></script>`.
The URLs are not versioned, so the files are cached briefly and revalidated (ETag /
Last-Modified) rather than cached for good; the demo page is always revalidated.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_CACHE = "public, max-age=300, stale-while-revalidate=86400"
PAGE_CACHE = "no-cache"
PUBLIC_FILES = frozenset({"widget.js", "widget.css"})


class WidgetStaticFiles(StaticFiles):
    """The widget's public files only, with a Cache-Control header on every answer (incl. 304s).

    api/static also holds files that are not public (the staff playground's, served inlined
    behind its token): anything not listed in PUBLIC_FILES is a 404 here.
    """

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.replace("\\", "/").lstrip("/") not in PUBLIC_FILES:
            raise HTTPException(status_code=404)
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = STATIC_CACHE
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


router = APIRouter(tags=["widget"])
router.mount("/static", WidgetStaticFiles(directory=STATIC_DIR), name="static")


@router.get("/", include_in_schema=False)
async def demo_page() -> FileResponse:
    """A demo clinic website with the widget embedded as any third-party site would."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers={"Cache-Control": PAGE_CACHE})
