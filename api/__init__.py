"""The Bukti service: FastAPI app, service layer, authentication and the ``bukti`` command."""

from api.app import app_from_env, create_app
from api.settings import Settings

__all__ = ["Settings", "app_from_env", "create_app"]
