"""The HTTP door: FastAPI app factory, request/response models and routes."""

from service.api.app import create_app

__all__ = ["create_app"]
