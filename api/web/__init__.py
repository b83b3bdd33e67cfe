"""Server-rendered pages of Bukti (``docs/pages.md``).

``router`` holds every page route; :func:`api.app.create_app` includes it. Pages:
``/`` and ``/v`` (verify a receipt in the browser), ``/v/kode`` (typed verification code),
``/tarif`` (official fees, calculator, office posters), ``/loket`` (counter staff),
``/inspektorat`` (inspectorate dashboard), ``/transparansi`` (public figures and CSV), and
``/static/…`` (the one stylesheet and the small scripts).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.web import (
    assets,
    counter_pages,
    fee_pages,
    inspectorate_pages,
    transparency_pages,
    verify_pages,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _module in (
    assets,
    verify_pages,
    fee_pages,
    counter_pages,
    inspectorate_pages,
    transparency_pages,
):
    router.include_router(_module.router)
