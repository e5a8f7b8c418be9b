"""Classify a privacy@ message: access/export, deletion, correction, marketing opt-out, or other.

Phrase lists in English, German and Estonian (the languages a store's policy may list).  The subject weighs
double; only the sender's own text counts (quoted replies and forwarded content are ignored unless nothing else is
there).  Ties go to the request that protects the person most: deletion, then access, correction, opt-out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["access", "deletion", "correction", "opt_out", "other"]
Language = Literal["en", "de", "et"]

PRIORITY: tuple[Kind, ...] = ("deletion", "access", "correction", "opt_out")

_PHRASES: dict[Kind, tuple[str, ...]] = {
    "deletion": (
        # English
        r"delet\w*", r"eras\w*", r"remove (?:all )?(?:of )?my (?:personal )?(?:data|information|details|account)",
        r"right to be forgotten", r"forget me", r"close my account", r"(?:art\.?|article) ?17\b", r"wipe my",
        # German
        r"lösch\w*", r"loesch\w*", r"vergessenwerden", r"vergessen ?zu ?werden", r"konto schließen",
        r"entfernen sie (?:alle )?meine",
        # Estonian
        r"kustuta\w*", r"eemalda\w* (?:minu )?(?:andmed|isikuandmed)", r"unustatud olla",
    ),
    "access": (
        r"access (?:to )?(?:my|the) (?:personal )?(?:data|information)", r"subject access", r"\bdsar\b",
        r"copy of (?:all )?(?:the )?(?:my )?(?:personal )?(?:data|information)",
        r"what (?:personal )?(?:data|information) (?:do )?you (?:hold|have|store|keep|process)",
        r"export (?:of )?my", r"portab\w*", r"(?:art\.?|article) ?1[45]\b", r"right to know", r"request my data",
        r"\bauskunft\w*", r"kopie (?:meiner|aller) (?:personenbezogenen )?daten", r"welche daten",
        r"datenübertragbarkeit", r"datenauskunft",
        r"juurdepääs\w*", r"koopia\w*", r"millised (?:isiku)?andmed", r"väljavõt\w*", r"ülevaade minu",
    ),
    "correction": (
        r"correct(?:ion)? (?:of )?my", r"rectif\w*", r"update my (?:personal )?(?:data|details|address|name|email)",
        r"(?:is|are) (?:wrong|incorrect|inaccurate|out of date)", r"change my (?:address|name|email|phone)",
        r"(?:art\.?|article) ?16\b", r"incorrect (?:data|information|details)",
        r"berichtig\w*", r"korrigier\w*", r"(?:daten|adresse|name) (?:ist|sind) falsch", r"ändern sie meine",
        r"parand\w*", r"ebaõige\w*", r"uuenda\w* (?:minu )?(?:andmed|aadress)", r"muut\w* minu",
    ),
    "opt_out": (
        r"unsubscrib\w*", r"opt[ -]?out", r"stop sending", r"no (?:more|further) (?:marketing|emails|newsletters)",
        r"do not (?:sell|share)", r"don'?t (?:sell|share)", r"(?:object|objection) to (?:direct )?marketing",
        r"remove me from (?:your|the) (?:mailing|marketing|newsletter)", r"(?:art\.?|article) ?21\b",
        r"abmeld\w*", r"abbestell\w*", r"keine (?:werbung|newsletter|e-mails)", r"widersprech\w*",
        r"widerspruch\w*",
        r"loobu\w*", r"ärge saatke", r"tellimus\w* tühista\w*", r"uudiskirja\w* (?:loobu|tühista)\w*",
    ),
}

_COMPILED: dict[Kind, list[re.Pattern[str]]] = {
    kind: [re.compile(r"(?<!\w)" + phrase, re.IGNORECASE) for phrase in phrases] for kind, phrases in _PHRASES.items()
}

_QUOTE_MARKERS = re.compile(
    r"^(?:-{2,} ?(?:original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|"
    r"edastatud kiri|algne kiri) ?-{2,}|begin forwarded message:|on .{3,120} wrote:|am .{3,120} schrieb.{0,60}:|"
    r".{3,120} kirjutas:|from: .+|von: .+|saatja: .+)\s*$",
    re.IGNORECASE,
)

_LANGUAGE_MARKERS: dict[Language, re.Pattern[str]] = {
    "de": re.compile(r"\b(?:ich|meine|meiner|bitte|daten|sehr geehrte|löschen|mit freundlichen|grüßen)\b",
                     re.IGNORECASE),
    "et": re.compile(r"\b(?:minu|palun|andmed|andmeid|tere|lugupidamisega|kustutage|isikuandmed)\b", re.IGNORECASE),
    "en": re.compile(r"\b(?:my|please|data|the|hello|regards|delete|you)\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class Classification:
    kind: Kind
    language: Language
    scores: dict[str, int]


def own_text(body: str) -> str:
    """The sender's own words: everything above the first quote/forward marker, without `>` quoted lines."""
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _QUOTE_MARKERS.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line)
    text = "\n".join(kept).strip()
    return text or body


def _score(text: str) -> dict[Kind, int]:
    return {kind: sum(len(pattern.findall(text)) for pattern in patterns) for kind, patterns in _COMPILED.items()}


def detect_language(text: str) -> Language:
    counts: dict[Language, int] = {lang: len(pattern.findall(text)) for lang, pattern in _LANGUAGE_MARKERS.items()}
    best: Language = "de" if counts["de"] >= counts["et"] else "et"
    return best if counts[best] > counts["en"] and counts[best] > 0 else "en"


def classify(subject: str, body: str) -> Classification:
    own = own_text(body)
    subject_scores = _score(subject)
    body_scores = _score(own)
    scores = {kind: 2 * subject_scores[kind] + body_scores[kind] for kind in PRIORITY}
    if not any(scores.values()) and own != body:
        # Nothing in the sender's own words (e.g. a bare forward): look at the forwarded content too.
        scores = {kind: 2 * subject_scores[kind] + _score(body)[kind] for kind in PRIORITY}
    best = max(scores.values())
    kind: Kind = next(k for k in PRIORITY if scores[k] == best) if best > 0 else "other"
    return Classification(kind, detect_language(f"{subject}\n{own}"), {str(k): v for k, v in scores.items()})
