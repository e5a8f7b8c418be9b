"""Texts of the confirm page (the e-mailed link) in English, German and Estonian, one table per language, and the
choice of language from the browser's `Accept-Language` among the languages the store's policy answers in."""

from __future__ import annotations

from collections.abc import Iterable

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "confirm_title": "Confirm your privacy request",
        "confirm_text": "To confirm the request you made, press the button below. "
                        "If you did not ask for this, ignore this page and the e-mail.",
        "confirm_button": "Confirm my request",
        "done_title": "Request confirmed",
        "done_request": "Request {request_id}",
        "access": "We are preparing your data export; the download link will come by e-mail.",
        "deletion": "Your deletion request is confirmed.",
        "correction": "Your correction request is confirmed; we will contact you.",
        "opt_out": "You will no longer receive marketing e-mails.",
        "restriction": "Your restriction request is confirmed: your data is kept but no longer used.",
        "objection": "Your objection is confirmed: your data is no longer used for analytics or advertising.",
        "refused_title": "This link cannot be used",
        "refused_text": "This link is invalid, used or expired. If you still want to make the request, ask again "
                        "from the privacy center.",
        "center": "Privacy center",
    },
    "de": {
        "confirm_title": "Bestätigen Sie Ihre Datenschutzanfrage",
        "confirm_text": "Um Ihre Anfrage zu bestätigen, drücken Sie den Knopf unten. Wenn Sie nichts angefragt haben, "
                        "ignorieren Sie diese Seite und die E-Mail.",
        "confirm_button": "Meine Anfrage bestätigen",
        "done_title": "Anfrage bestätigt",
        "done_request": "Anfrage {request_id}",
        "access": "Wir bereiten Ihre Datenauskunft vor; der Download-Link kommt per E-Mail.",
        "deletion": "Ihre Löschanfrage ist bestätigt.",
        "correction": "Ihre Berichtigung ist bestätigt; wir melden uns bei Ihnen.",
        "opt_out": "Sie erhalten keine Werbe-E-Mails mehr.",
        "restriction": "Ihre Einschränkung ist bestätigt: Ihre Daten werden aufbewahrt, aber nicht mehr genutzt.",
        "objection": "Ihr Widerspruch ist bestätigt: Ihre Daten werden nicht mehr für Analyse oder Werbung genutzt.",
        "refused_title": "Dieser Link kann nicht verwendet werden",
        "refused_text": "Dieser Link ist ungültig, schon benutzt oder abgelaufen. Wenn Sie die Anfrage noch stellen "
                        "möchten, fragen Sie erneut im Datenschutz-Center.",
        "center": "Datenschutz-Center",
    },
    "et": {
        "confirm_title": "Kinnitage oma privaatsustaotlus",
        "confirm_text": "Taotluse kinnitamiseks vajutage allolevat nuppu. Kui te seda ei küsinud, jätke see leht ja "
                        "e-kiri tähelepanuta.",
        "confirm_button": "Kinnitan oma taotluse",
        "done_title": "Taotlus on kinnitatud",
        "done_request": "Taotlus {request_id}",
        "access": "Valmistame teie andmete koopiat ette; allalaadimislink tuleb e-postiga.",
        "deletion": "Teie kustutamistaotlus on kinnitatud.",
        "correction": "Teie parandustaotlus on kinnitatud; võtame teiega ühendust.",
        "opt_out": "Te ei saa enam turunduskirju.",
        "restriction": "Teie piiramise taotlus on kinnitatud: teie andmeid hoitakse, kuid enam ei kasutata.",
        "objection": "Teie vastuväide on kinnitatud: teie andmeid ei kasutata enam analüütikaks ega reklaamiks.",
        "refused_title": "Seda linki ei saa kasutada",
        "refused_text": "See link on vigane, juba kasutatud või aegunud. Kui soovite taotluse siiski esitada, "
                        "küsige uuesti privaatsuskeskusest.",
        "center": "Privaatsuskeskus",
    },
}


def language(accept_language: str | None, offered: Iterable[str]) -> str:
    """The first of the browser's languages (by `q`) that the store answers in and the page has; otherwise the
    store's first such language, English when it has none.  A malformed header is read as far as it makes sense,
    never an error."""
    available = [code for code in offered if code in TEXTS]
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:512].split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in available and 0 < quality <= 1:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else (available[0] if available else "en")
