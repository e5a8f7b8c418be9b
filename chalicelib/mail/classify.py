"""Classify a privacy@ message: what the sender asks for, never more destructive than what was asked.

Kinds: access/export, deletion, correction, marketing opt-out, restriction (GDPR Art. 18: keep but do not use),
objection (Art. 21 to analytics, profiling, tracking or advertising), child (a parent's or guardian's request to
delete a child's data), `other` (not a request: a question, a complaint) and `unclear` (a request whose intent is
conflicting: the reply asks, and a person reads it).

Phrase lists in English, German and Estonian.  Only the sender's own text counts (quoted replies and forwarded
content are ignored unless nothing else is there); the subject weighs double.  A phrase is *asked* only when it is
not negated ("do not delete", "nicht löschen", "ärge kustutage", "löschen Sie ... nicht") and not a report or a
question about something done ("my account was deleted", "ob ... gelöscht wird").

Deciding (`_decide`), never more destructive than asked:
- deletion only when deletion is asked and nowhere negated, and nothing conflicting is asked with it (restriction,
  objection, correction: `unclear`); deletion + a copy ("send me a copy first") is `access` with `also` =
  ("deletion",): the copy first, the deletion only when asked again once the copy is received;
- a negated deletion with another request ("send me a copy, don't delete anything") is that request; alone it is
  `other` (a person reads it);
- a child marker ("my son", "mein Kind", "minu laps") with an unnegated deletion is `child`; with anything else
  about the child's data or account it is `unclear`;
- otherwise the best-scoring request (ties: access, correction, restriction, objection, opt-out); an objection to
  analytics/profiling/advertising beats a marketing opt-out (it includes it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["access", "deletion", "correction", "opt_out", "restriction", "objection", "child", "other",
               "unclear"]
Language = Literal["en", "de", "et"]
Asked = Literal["access", "deletion", "correction", "opt_out", "restriction", "objection"]

KINDS: tuple[Asked, ...] = ("deletion", "access", "correction", "restriction", "objection", "opt_out")
NON_DESTRUCTIVE: tuple[Asked, ...] = ("access", "correction", "restriction", "objection", "opt_out")
PRIORITY = KINDS  # kept for callers that list the request kinds

_PHRASES: dict[Asked, tuple[str, ...]] = {
    "deletion": (
        # English
        r"delet\w*", r"eras\w*", r"remove (?:all )?(?:of )?(?:my|his|her|their|the) (?:personal )?"
        r"(?:data|information|details|account|profile)", r"right to be forgotten", r"forget me",
        r"close (?:my|his|her|their|the) account", r"(?:art\.?|article) ?17\b", r"wipe (?:my|his|her|their|the)",
        # German
        r"lösch\w*", r"loesch\w*", r"vergessenwerden", r"vergessen ?zu ?werden", r"konto schließen",
        r"entfernen sie (?:alle )?(?:meine|seine|ihre)",
        # Estonian
        r"kustuta\w*", r"eemalda\w* (?:minu |tema )?(?:andmed|isikuandmed|konto)", r"unustatud olla",
    ),
    "access": (
        r"access (?:to )?(?:my|the) (?:personal )?(?:data|information)", r"subject access", r"\bdsar\b",
        r"copy of (?:all )?(?:the )?(?:my )?(?:personal )?(?:data|information)",
        r"what (?:personal )?(?:data|information) (?:do )?you (?:hold|have|store|keep|process)",
        r"export (?:of )?my", r"portab\w*", r"(?:art\.?|article) ?1[45]\b", r"right to know", r"request my data",
        r"send (?:me )?(?:a )?copy", r"\bauskunft\w*", r"kopie (?:meiner|aller|der) (?:personenbezogenen )?daten",
        r"welche daten", r"datenübertragbarkeit", r"datenauskunft", r"eine kopie",
        r"juurdepääs\w*", r"koopia\w*", r"millised (?:isiku)?andmed", r"väljavõt\w*", r"ülevaade minu",
    ),
    "correction": (
        r"correct(?:ion)? (?:of )?my", r"rectif\w*", r"update my (?:personal )?(?:data|details|address|name|email)",
        r"(?:is|are) (?:wrong|incorrect|inaccurate|out of date)", r"change my (?:address|name|email|phone)",
        r"(?:art\.?|article) ?16\b", r"incorrect (?:data|information|details)",
        r"berichtig\w*", r"korrigier\w*", r"(?:daten|adresse|name) (?:ist|sind) falsch", r"ändern sie meine",
        r"parand\w*", r"ebaõige\w*", r"uuenda\w* (?:minu )?(?:andmed|aadress)", r"muut\w* minu",
    ),
    "restriction": (
        r"restrict\w*", r"(?:art\.?|article) ?18\b", r"(?:stop|cease|suspend) (?:all )?(?:the )?"
        r"(?:processing|using|use of) (?:of )?my (?:personal )?(?:data|information)(?! for)",
        r"keep (?:my data|it|them) but", r"block(?:ing)? (?:of )?my (?:personal )?data",
        r"einschränk\w*", r"schränken sie (?:\w+ ){0,5}?ein\b",
        r"sperr(?:en|ung) (?:sie )?(?:meine|meiner)", r"nicht mehr verarbeit\w*",
        r"verarbeitung (?:meiner daten )?(?:bitte )?(?:stoppen|einstellen|aussetzen)",
        r"piira\w*", r"töötlemi\w* (?:peatami|lõpeta|piira)\w*", r"peata\w* (?:minu )?(?:andmete )?töötlemi\w*",
    ),
    "objection": (
        r"(?:object|objection|opt[ -]?out|stop|no more|do not|don'?t) (?:\w+ ){0,8}?"
        r"(?:analytics|profiling|tracking|advertis\w*|targeted ads|personali[sz]ed ads|ads\b)",
        r"(?:widersprech\w*|widerspruch\w*|keine|nicht mehr|stoppen) (?:\w+ ){0,5}?"
        r"(?:analyse\w*|analytik|profiling|profilbildung|tracking|personalisierte werbung|werbeanzeigen)",
        r"(?:analyse\w*|analytik|profiling|profilbildung|tracking) (?:\w+ ){0,3}?widersprech\w*",
        r"(?:vaidlusta\w*|keeldu\w*|ärge|lõpetage|loobu\w*|vastu) (?:\w+ ){0,5}?"
        r"(?:analüüs\w*|profiili\w*|jälgimi\w*|reklaam\w*|sihitud)",
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

# A child: a parent or guardian writing about their son's, daughter's or child's data.
_CHILD = re.compile(
    r"(?<!\w)(?:my (?:\d{1,2}[- ]year[- ]old |young |underage |minor )?(?:son|daughter|child|kid|children|kids)\b|"
    r"(?:i am|i'm) (?:the )?(?:parent|legal guardian|guardian|mother|father) of|on behalf of my (?:son|daughter|child)|"
    r"mein(?:e|es|em|en|er)? (?:\d{1,2}-?jährige[rns]? |minderjährige[rns]? )?(?:kind|kinder|sohn|sohnes|tochter)\b|"
    r"(?:erziehungsberechtigte\w*|vormund) (?:von|des|der|meines|meiner)|"
    r"(?:minu|mu) (?:\d{1,2}-aastase? |alaealise? )?(?:laps|lapse|lapsel|poeg|poja|tütar|tütre)\w*|"
    r"(?:lapsevanem|eestkostja)\w*)",
    re.IGNORECASE)
# ... and about data or an account (a child marker alone, "my son loves your shop", is not about data).
_DATA = re.compile(r"(?<!\w)(?:account|data|information|profile|konto|daten|profil|kontakt\w*|andme\w*|"
                   r"isikuandme\w*|kasutaja\w*)", re.IGNORECASE)

# Words that negate a phrase following them within the same clause (up to _WINDOW words before).
_NEGATION_BEFORE = re.compile(
    r"(?<!\w)(?:not|no|don'?t|dont|doesn'?t|didn'?t|won'?t|wouldn'?t|shouldn'?t|can'?t|cannot|haven'?t|never|"
    r"without|rather than|instead of|nothing|"
    r"nicht|kein\w*|ohne|statt|anstatt|nie|niemals|"
    r"ärge|ära|ärgem|mitte|ei|ilma|asemel)(?!\w)", re.IGNORECASE)
# Words that make a phrase a report or a question, not a request ("was deleted", "ob ... gelöscht").
_NOT_ASKED_BEFORE = re.compile(
    r"(?<!\w)(?:was|were|been|whether|wurde|wurden|worden|ob|oli|olid)(?!\w)",
    re.IGNORECASE)
# German and Estonian put the negation after the verb: "löschen Sie meine Daten nicht", "kustutage ei".
_NEGATION_AFTER = re.compile(r"(?<!\w)(?:nicht|keinesfalls|auf keinen fall|mitte)(?!\w)", re.IGNORECASE)
_WINDOW = 8  # words before a phrase that may negate it (German and Estonian: "nicht, dass ...", "ei taha, et ...")
_AFTER_WINDOW = 8  # words after it, up to a comma (German and Estonian word order)
_CLAUSES = re.compile(r"[.!?;:\n]+|,\s*(?:but|aber|sondern|kuid|vaid|however)\b|\s(?:but|aber|sondern|kuid|vaid)\s",
                      re.IGNORECASE)

_QUOTE_MARKERS = re.compile(
    r"^(?:-{2,} ?(?:original message|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht|"
    r"edastatud kiri|algne kiri) ?-{2,}|begin forwarded message:|on .{3,120} wrote:|am .{3,120} schrieb.{0,60}:|"
    r".{3,120} kirjutas:|from: .+|von: .+|saatja: .+)\s*$",
    re.IGNORECASE,
)

_LANGUAGE_MARKERS: dict[Language, re.Pattern[str]] = {
    "de": re.compile(r"\b(?:ich|meine|meiner|mein|bitte|daten|sehr geehrte|löschen|mit freundlichen|grüßen|nicht|"
                     r"und|sie|kind|sohn|tochter|nachricht)\b", re.IGNORECASE),
    "et": re.compile(r"\b(?:minu|mu|palun|andmed|andmeid|tere|lugupidamisega|kustutage|isikuandmed|ärge|ei|ja|"
                     r"laps|poeg|tütar|mitte)\b", re.IGNORECASE),
    "en": re.compile(r"\b(?:my|please|data|the|hello|regards|delete|you|and|not|me|i)\b", re.IGNORECASE),
}

_COMPILED: dict[Asked, list[re.Pattern[str]]] = {
    kind: [re.compile(r"(?<!\w)" + phrase, re.IGNORECASE) for phrase in phrases] for kind, phrases in _PHRASES.items()
}


@dataclass(frozen=True)
class Classification:
    kind: Kind
    language: Language
    scores: dict[str, int]
    also: tuple[str, ...] = ()  # other requests asked in the same message (e.g. deletion after a copy)
    negated: tuple[str, ...] = ()  # requests the message says not to do
    reason: str | None = None  # why `unclear`: conflicting | child_unclear (a code, never text of the message)
    child: bool = False  # the message is about a child's data
    details: dict[str, str] = field(default_factory=dict)


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


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})
_POLITE = frozenset({"please", "bitte", "palun", "kindly"})


def _words_before(clause: str, start: int) -> str:
    """The words that may negate a phrase: up to _WINDOW before it, from the last "please" after a comma on ("I am
    not happy, please delete my account": the request starts at "please"; "do not, please, delete" and "please do
    not delete" keep their negation)."""
    words = clause[:start].split()[-_WINDOW:]
    polite = [n for n, word in enumerate(words) if word.strip(",;").casefold() in _POLITE
              and n > 0 and words[n - 1].endswith((",", ";", ":"))  # after a comma: a new request ...
              and not _NEGATION_BEFORE.fullmatch(words[n - 1].rstrip(",;:"))  # ... unless "do not, please, ..."
              and words[n - 1].rstrip(",;:").casefold() not in _POLITE]
    return " ".join(words[polite[-1]:] if polite else words)


def _matches(text: str) -> tuple[dict[Asked, int], dict[Asked, int]]:
    """(asked, negated) counts of each kind's phrases, clause by clause."""
    asked: dict[Asked, int] = dict.fromkeys(KINDS, 0)
    negated: dict[Asked, int] = dict.fromkeys(KINDS, 0)
    text = text.translate(_APOSTROPHES)  # "don’t" is "don't"
    for clause in _CLAUSES.split(text):
        for kind, patterns in _COMPILED.items():
            for pattern in patterns:
                for found in pattern.finditer(clause):
                    before = _words_before(clause, found.start())
                    after = " ".join(clause[found.end():].split(",", 1)[0].split()[:_AFTER_WINDOW])
                    if _NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after):
                        negated[kind] += 1
                    elif not _NOT_ASKED_BEFORE.search(before):
                        asked[kind] += 1
    return asked, negated


def detect_language(text: str) -> Language:
    counts: dict[Language, int] = {lang: len(pattern.findall(text)) for lang, pattern in _LANGUAGE_MARKERS.items()}
    best: Language = "de" if counts["de"] >= counts["et"] else "et"
    return best if counts[best] > counts["en"] and counts[best] > 0 else "en"


def _decide(scores: dict[Asked, int], negated: dict[Asked, int], child: bool,
            about_data: bool) -> tuple[Kind, tuple[str, ...], str | None]:
    """(kind, also, reason) -- see the module docstring."""
    others = [kind for kind in NON_DESTRUCTIVE if scores[kind] > 0]
    if scores["objection"] > 0 and "opt_out" in others:
        others.remove("opt_out")  # an objection to advertising/analytics includes marketing
    deletion = scores["deletion"] > 0
    if deletion and negated["deletion"] > 0:
        return "unclear", (), "conflicting"  # "delete my data ... do not delete my account"
    if child:
        if deletion and not others:
            return "child", (), None
        return ("unclear", (), "child_unclear") if deletion or others or about_data else ("other", (), None)
    if deletion:
        return _with_deletion(others)
    if not others:
        return "other", (), None
    best = max(scores[kind] for kind in others)
    return next(kind for kind in others if scores[kind] == best), (), None


def _with_deletion(others: list[Asked]) -> tuple[Kind, tuple[str, ...], str | None]:
    """An unnegated deletion, with the other requests of the message."""
    if not others or others == ["opt_out"]:
        return "deletion", (), None  # a deletion also ends marketing
    if others == ["access"]:
        return "access", ("deletion",), None  # the copy first; deletion only when asked again
    return "unclear", (), "conflicting"


def classify(subject: str, body: str) -> Classification:
    own = own_text(body)
    subject_asked, subject_negated = _matches(subject)
    body_asked, body_negated = _matches(own)
    scores = {kind: 2 * subject_asked[kind] + body_asked[kind] for kind in KINDS}
    negated = {kind: subject_negated[kind] + body_negated[kind] for kind in KINDS}
    text = f"{subject}\n{own}"
    if not any(scores.values()) and not any(negated.values()) and own != body:
        # Nothing in the sender's own words (e.g. a bare forward): look at the forwarded content too.
        # A deletion found only there is never acted on: the reply asks (`unclear`, reason `quoted`).
        full_asked, full_negated = _matches(body)
        if full_asked["deletion"] or full_negated["deletion"]:
            return Classification("unclear", detect_language(text), {str(k): v for k, v in scores.items()},
                                  reason="quoted")
        scores = {kind: 2 * subject_asked[kind] + full_asked[kind] for kind in KINDS}
        negated = {kind: subject_negated[kind] + full_negated[kind] for kind in KINDS}
        text = f"{subject}\n{body}"
    child = bool(_CHILD.search(text))
    kind, also, reason = _decide(scores, negated, child, bool(_DATA.search(text)))
    return Classification(kind, detect_language(text), {str(k): v for k, v in scores.items()}, also,
                          tuple(k for k in KINDS if negated[k] > 0), reason, child)
