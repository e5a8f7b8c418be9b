"""Wiring only: the Chalice app, its middleware and its blueprints.  Logic lives in chalicelib/."""

from chalice.app import Chalice

from chalicelib.handlers import (
    account_privacy,
    account_requests,
    banner,
    consent,
    health,
    intake,
    mail,
    marketing,
    middleware,
    privacy_center,
    privacy_requests,
    scheduled,
    webhooks,
)

# configure_logs=False: Chalice would otherwise attach a plain-text handler to the logger Powertools owns.
app = Chalice(app_name="privacy-backend", configure_logs=False)
app.register_middleware(middleware.observe, "all")
for blueprint in (health, webhooks, consent, account_privacy, account_requests, privacy_requests, mail, intake,
                  scheduled, marketing, banner, privacy_center):
    app.register_blueprint(blueprint.bp)
