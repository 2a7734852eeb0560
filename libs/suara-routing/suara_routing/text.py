"""Text normalisation: what the classifier, the area rules and the emergency lexicon read instead of the raw text."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"[@#]\w+")
_PHONE = re.compile(r"\b(?:\+?62|0)8[0-9x]{1,3}[- ]?[0-9x]{2,5}(?:[- ]?[0-9x]{2,5})?\b")
_REDUPLICATION = re.compile(r"\b([a-z]{2,})2\b")  # "ibu2" -> "ibu ibu", "alun2" -> "alun alun"
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "tolooong" -> "tolong"
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Normaliser:
    """NFC, lowercase, links and phone numbers dropped, WhatsApp/SMS abbreviations expanded and, optionally,
    Javanese words mapped to Indonesian. The result is plain tokens separated by single spaces."""

    abbreviations: dict[str, str]
    javanese: dict[str, str]
    use_javanese: bool = True
    # Each token's replacement, both maps applied in order (an abbreviation that expands to several words is not
    # looked up again), so a text costs one lookup per token.
    _replace: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        replace = dict(self.javanese) if self.use_javanese else {}
        for token, expansion in self.abbreviations.items():
            if self.use_javanese and " " not in expansion:
                expansion = self.javanese.get(expansion, expansion)
            replace[token] = expansion
        object.__setattr__(self, "_replace", replace)

    def __call__(self, text: str) -> str:
        # Each pattern is tried only when the character it cannot match without is there (same result, less time).
        text = unicodedata.normalize("NFC", text).lower()
        if "http" in text or "www." in text:
            text = _URL.sub(" ", text)
        if "@" in text or "#" in text:
            text = _MENTION.sub(" ", text)
        if "8" in text:
            text = _PHONE.sub(" ", text)
        if not text.isascii():
            text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        if "2" in text:
            text = _REDUPLICATION.sub(r"\1 \1", text)
        text = _REPEATS.sub(r"\1", text)
        replace = self._replace
        return " ".join([replace.get(token, token) for token in _TOKEN.findall(text)])


@cache
def _lexicon(name: str) -> dict[str, str]:
    with resources.files("suara_routing.lexicons").joinpath(f"{name}.toml").open("rb") as f:
        tokens: dict[str, str] = tomllib.load(f)["tokens"]
    return tokens


def normaliser(use_javanese: bool = True) -> Normaliser:
    return Normaliser(_lexicon("abbreviations"), _lexicon("javanese"), use_javanese)
