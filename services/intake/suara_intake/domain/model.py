"""Submitting a complaint: the command, its validation, and the identities intake gives a complaint."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from suara_intake.domain.text import UnacceptableText, is_email_address, normalise, quoted
from suara_kit.events import SourceChannel, derived_id

TEXT_MIN = 10
TEXT_MAX = 4000
KEY_MAX = 128
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:@/-]{1,128}$")
PHONE_MAX = 20
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 -]{5,19}$")
REPORTER_NAME_MAX = 200
# Longer than any category code or kelurahan name (or spelling of one): not looked up at all.
NAME_MAX = 100


class InvalidComplaint(ValueError):
    """The request cannot be accepted; `field` names the request field that is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class IdempotencyKeyReused(ValueError):
    """The idempotency key was already used for a different complaint."""

    def __init__(self, key: str, complaint_id: str) -> None:
        super().__init__(
            f"idempotency_key: {key!r} was already used for a different complaint ({complaint_id}); "
            "use a new key for a new complaint"
        )
        self.key = key
        self.complaint_id = complaint_id


@dataclass(frozen=True)
class Kelurahan:
    code: str
    name: str
    kecamatan: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    emergency: bool


class Gazetteer:
    """Finds a Kota Kediri kelurahan by Kemendagri code, name or spelling variant."""

    def __init__(self, kelurahan: list[Kelurahan]) -> None:
        self._index: dict[str, Kelurahan] = {}
        for k in kelurahan:
            for name in (k.code, k.name, *k.aliases):
                self._index[_fold(name)] = k

    def find(self, reference: str) -> Kelurahan | None:
        folded = _fold(reference)
        return self._index.get(folded) or self._index.get(
            _fold(re.sub(r"^(kel\.?|kelurahan)\s+", "", reference.strip(), flags=re.I))
        )

    def __len__(self) -> int:
        return len({k.code for k in self._index.values()})


def _fold(name: str) -> str:
    return re.sub(r"[\s_-]+", "", name).lower()


@dataclass(frozen=True)
class IntakeCatalogue:
    categories: dict[str, Category]
    gazetteer: Gazetteer


@dataclass(frozen=True)
class ReporterContact:
    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name or self.phone or self.email)


@dataclass(frozen=True)
class SubmitComplaint:
    idempotency_key: str
    text: str
    category: str  # "" when the integrator gives none: the router proposes one from the text
    kelurahan: str  # "" when the door does not know it: the router reads it from the text if it is named there
    source_channel: SourceChannel | None
    anonymous: bool = False
    reporter: ReporterContact | None = None
    # Who is calling: the integrator's client id.
    submitted_by: str = "unknown-integrator"


@dataclass(frozen=True)
class ValidComplaint:
    idempotency_key: str
    text: str
    category: Category | None  # None: not given, the router proposes it
    kelurahan: Kelurahan | None  # None: not given, the router recognises one named in the text
    source_channel: SourceChannel
    anonymous: bool
    reporter: ReporterContact | None


def validate(command: SubmitComplaint, catalogue: IntakeCatalogue) -> ValidComplaint:
    """Check every field; the first problem found is raised as InvalidComplaint naming the field.

    Lengths are checked before any lookup or pattern, and an error repeats at most the start of a bad value."""
    key = command.idempotency_key.strip()
    if not key:
        raise InvalidComplaint("idempotency_key", "required (any unique string per complaint, reused on retries)")
    if len(key) > KEY_MAX or not KEY_PATTERN.match(key):
        raise InvalidComplaint("idempotency_key", "1 to 128 characters of A-Z a-z 0-9 . _ : @ / -")
    text = _clean("text", command.text, limit=TEXT_MAX).strip()
    if not text:
        raise InvalidComplaint("text", "required")
    if len(text) < TEXT_MIN:
        raise InvalidComplaint("text", f"too short ({len(text)} characters, at least {TEXT_MIN})")
    if len(text) > TEXT_MAX:
        raise InvalidComplaint("text", f"too long ({len(text)} characters, at most {TEXT_MAX})")
    # Optional: many doors (WhatsApp, SMS, the SP4N-LAPOR! bridge) have nobody to choose a code. When given, it
    # must be a catalogue code.
    category_code = command.category.strip()
    category = None
    if category_code:
        category = catalogue.categories.get(category_code.lower()) if len(category_code) <= NAME_MAX else None
        if category is None:
            raise InvalidComplaint("category", f"unknown category {quoted(command.category)}")
    # Optional for the same reason (a chatbot does not know it; a complaint about a Kabupaten village has none);
    # when given, it must be a Kota Kediri kelurahan.
    kelurahan = None
    if command.kelurahan.strip():
        kelurahan = catalogue.gazetteer.find(command.kelurahan) if len(command.kelurahan) <= NAME_MAX else None
        if kelurahan is None:
            raise InvalidComplaint("kelurahan", f"unknown kelurahan {quoted(command.kelurahan)} (not in Kota Kediri)")
    if command.source_channel is None:
        raise InvalidComplaint("source_channel", "required")
    reporter = command.reporter
    if reporter is not None:
        if reporter.email and not is_email_address(reporter.email):
            raise InvalidComplaint("reporter.email", f"not an e-mail address: {quoted(reporter.email)}")
        if reporter.phone and (len(reporter.phone) > PHONE_MAX or not PHONE_PATTERN.match(reporter.phone)):
            raise InvalidComplaint("reporter.phone", f"not a phone number: {quoted(reporter.phone)}")
        name = _clean("reporter.name", reporter.name, limit=REPORTER_NAME_MAX).strip()
        if len(name) > REPORTER_NAME_MAX:
            raise InvalidComplaint("reporter.name", f"too long (at most {REPORTER_NAME_MAX} characters)")
        reporter = ReporterContact(name, reporter.phone, reporter.email)
        if reporter.empty:
            reporter = None
    return ValidComplaint(key, text, category, kelurahan, command.source_channel, command.anonymous, reporter)


def _clean(field: str, value: str, limit: int) -> str:
    """`value` normalised (see domain.text), refused naming `field` if it holds a control character. A value far
    beyond `limit` is refused before any work is spent on it (zero-width padding may legitimately add a little)."""
    if len(value) > 2 * limit:
        raise InvalidComplaint(field, f"too long ({len(value)} characters, at most {limit})")
    try:
        return normalise(value)
    except UnacceptableText as error:
        raise InvalidComplaint(field, str(error)) from None


def complaint_id_for(submitted_by: str, source_channel: SourceChannel, idempotency_key: str) -> str:
    """The complaint id follows from the idempotency key, so concurrent retries cannot create two complaints. Keys
    are the integrator's own: two integrators using the same key make two complaints (issue 5 §5)."""
    return derived_id("complaint", submitted_by, source_channel.value, idempotency_key)


_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def tracking_number_for(complaint_id: str) -> str:
    """A short number a citizen can read out on the phone: 'KDR-' and 10 Crockford base32 characters (50 bits),
    no I, L, O or U to mistake."""
    digest = hashlib.sha256(complaint_id.encode()).digest()
    code = base64.b32encode(digest).decode().translate(_CROCKFORD)[:10]
    return f"KDR-{code[:5]}-{code[5:]}"


TRACKING_PATTERN = re.compile(r"^KDR-[0-9A-Z]{5}-[0-9A-Z]{5}$")
