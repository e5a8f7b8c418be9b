"""API bodies of the consent banner and the account privacy settings (strict: unknown fields and wrong types are
refused with a message naming the field; values are never echoed)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationInfo, field_validator

from chalicelib.domain.consent import Action, Choices, ChoicesMismatchError, Source, choices_for_action

MAX_BODY = 16 * 1024

VISITOR_ID_PATTERN = r"^[A-Za-z0-9._~:-]{8,128}$"
VisitorId = Annotated[str, Field(pattern=VISITOR_ID_PATTERN)]
PolicyVersion = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
NoticeHash = Annotated[str, Field(pattern=r"^(?:sha256:)?[A-Za-z0-9_-]{8,128}$")]
Locale = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChoicesIn(BaseModel):
    model_config = _STRICT

    essential: Literal[True] | None = Field(default=None, description="always on; false is refused")
    preferences: StrictBool
    analytics: StrictBool
    marketing: StrictBool

    def domain(self) -> Choices:
        return Choices(self.preferences, self.analytics, self.marketing)


class _ConsentFields(BaseModel):
    """`action` is declared before `choices` so the choices are checked against it."""

    model_config = _STRICT

    action: Action
    choices: ChoicesIn | None = Field(default=None, validate_default=True)
    policy_version: PolicyVersion
    notice_hash: NoticeHash | None = None
    locale: Locale | None = None

    @field_validator("choices")
    @classmethod
    def _agree_with_action(cls, value: ChoicesIn | None, info: ValidationInfo) -> ChoicesIn | None:
        action = info.data.get("action")
        if action is not None:
            try:
                choices_for_action(action, value.domain() if value else None)
            except ChoicesMismatchError as error:
                raise ValueError(str(error)) from None
        return value


class ConsentIn(_ConsentFields):
    """POST /consent."""

    visitor_id: VisitorId
    source: Source = "banner"


class AccountConsentIn(_ConsentFields):
    """PUT /account/privacy/consent: the source is the privacy center; a visitor id links that browser too."""

    visitor_id: VisitorId | None = None


class MarketingIn(BaseModel):
    """PUT /account/privacy/marketing: opt-in needs an explicit true."""

    model_config = _STRICT

    email_marketing: StrictBool
