"""Blueprint slot: routes/handlers are added by the feature that owns this module."""

from __future__ import annotations

from chalice.app import Blueprint

bp = Blueprint(__name__)
