"""Wiring only: the Chalice app, its middleware and its blueprints.  Logic lives in chalicelib/."""

from chalice.app import Chalice

from chalicelib.handlers import health, middleware

# configure_logs=False: Chalice would otherwise attach a plain-text handler to the logger that Powertools owns.
app = Chalice(app_name="privacy-backend", configure_logs=False)
app.register_middleware(middleware.observe, "all")
app.register_blueprint(health.bp)
