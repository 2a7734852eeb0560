"""The labelled corpus: reading and validating its parts, the train/dev/test split (fixed once, by a seeded hash
of the incident or the item id), and labelled near-duplicate pairs with synthetic report times."""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from suara_routing.catalogue import RoutingCatalogue

CHANNELS = frozenset({"whatsapp", "sms", "instagram", "phone_112", "web_portal", "sp4n_lapor", "walk_in"})
REGISTERS = frozenset({"formal", "informal", "slang", "javanese_ngoko", "javanese_krama", "mixed"})
KEYS = frozenset(
    {
        "id",
        "text",
        "category",
        "opd",
        "emergency",
        "outside_authority",
        "kelurahan",
        "channel",
        "register",
        "incident",
        "provenance",
    }
)
# Optional: incidents a writer set side by side (same kelurahan and category, told apart by place or object): the
# near-duplicate finder's labelled hard negatives (decision 0084).
OPTIONAL_KEYS = frozenset({"pair_group"})
SPLIT_SEED = "suara-routing-split-v1"
SPLITS = (("train", 70), ("dev", 15), ("test", 15))
PAIR_SEED = 20261127
START = datetime(2026, 1, 5, 7, 0)  # synthetic report times start here (naive WIB)


class CorpusError(ValueError):
    """A corpus line is wrong; the message names the file, line and field."""


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    category: str
    opd: str
    emergency: bool
    outside_authority: str | None
    kelurahan: str | None
    channel: str
    register: str
    incident: str | None
    provenance: str
    pair_group: str | None = None

    @property
    def group(self) -> str:
        """What the split hashes: every report of one incident (and every incident of one pair group) lands in the
        same split."""
        if self.pair_group:
            return f"pair_group:{self.pair_group}"
        return f"incident:{self.incident}" if self.incident else f"item:{self.id}"


def split_of(item: Item) -> str:
    bucket = int(hashlib.sha256(f"{SPLIT_SEED}\x1f{item.group}".encode()).hexdigest(), 16) % 100
    limit = 0
    for name, share in SPLITS:
        limit += share
        if bucket < limit:
            return name
    raise AssertionError("split shares must add up to 100")


def read_corpus(corpus_dir: Path, catalogue: RoutingCatalogue, examples: Path | None = None) -> list[Item]:
    """Every written-*.jsonl part (and examples.toml, if given), validated against the catalogue; sorted by id."""
    items: list[Item] = []
    for path in sorted(corpus_dir.glob("written-*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{where}: not JSON: {error}") from None
            items.append(validate(raw, catalogue, where))
    if examples is not None:
        items.extend(_examples(examples, catalogue))
    seen: dict[str, int] = defaultdict(int)
    for item in items:
        seen[item.id] += 1
    twice = sorted(i for i, n in seen.items() if n > 1)
    if twice:
        raise CorpusError(f"ids used more than once: {twice[:10]}")
    check_pair_groups(items)
    return sorted(items, key=lambda i: i.id)


def check_pair_groups(items: list[Item]) -> None:
    """A pair group is one kelurahan and one category holding at least two incidents; an incident is in one group."""
    groups: dict[str, list[Item]] = defaultdict(list)
    group_of: dict[str, set[str | None]] = defaultdict(set)
    for item in items:
        if item.incident:
            group_of[item.incident].add(item.pair_group)
        if item.pair_group:
            groups[item.pair_group].append(item)
    split_incidents = sorted(i for i, g in group_of.items() if len(g) > 1)
    if split_incidents:
        raise CorpusError(f"incidents with reports in more than one pair group (or none): {split_incidents[:10]}")
    for name, members in sorted(groups.items()):
        kelurahan = {i.kelurahan for i in members}
        categories = {i.category for i in members}
        incidents = {i.incident for i in members}
        if len(kelurahan) != 1 or None in kelurahan:
            found = sorted(map(str, kelurahan))
            raise CorpusError(f"pair group {name}: reports must name one kelurahan, found {found}")
        if len(categories) != 1:
            raise CorpusError(f"pair group {name}: reports must share one category, found {sorted(categories)}")
        if len(incidents) < 2:
            raise CorpusError(f"pair group {name}: needs at least two incidents, found {len(incidents)}")


def validate(raw: object, catalogue: RoutingCatalogue, where: str) -> Item:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: a line must be a JSON object")
    if not KEYS <= set(raw) <= KEYS | OPTIONAL_KEYS:
        missing, extra = sorted(KEYS - set(raw)), sorted(set(raw) - KEYS - OPTIONAL_KEYS)
        raise CorpusError(f"{where}: keys wrong (missing {missing}, unexpected {extra})")
    if not isinstance(raw["text"], str) or not raw["text"].strip():
        raise CorpusError(f"{where}: text: required")
    if raw["category"] not in catalogue.categories:
        raise CorpusError(f"{where}: category: unknown {raw['category']!r}")
    if raw["opd"] not in catalogue.agencies:
        raise CorpusError(f"{where}: opd: unknown agency {raw['opd']!r}")
    if not isinstance(raw["emergency"], bool):
        raise CorpusError(f"{where}: emergency: must be true or false")
    outside = raw["outside_authority"]
    if outside is not None:
        if outside not in catalogue.agencies or not catalogue.outside(outside):
            raise CorpusError(f"{where}: outside_authority: {outside!r} is not an agency outside the city's authority")
        if raw["opd"] != outside:
            raise CorpusError(f"{where}: opd must equal outside_authority when it is set")
    if raw["kelurahan"] is not None and raw["kelurahan"] not in catalogue.kelurahan:
        raise CorpusError(f"{where}: kelurahan: unknown {raw['kelurahan']!r}")
    if raw["channel"] not in CHANNELS:
        raise CorpusError(f"{where}: channel: unknown {raw['channel']!r}")
    if raw["register"] not in REGISTERS:
        raise CorpusError(f"{where}: register: unknown {raw['register']!r}")
    if raw["provenance"] not in ("written", "public"):
        raise CorpusError(f"{where}: provenance: must be 'written' or 'public'")
    group = raw.get("pair_group")
    if group is not None and (not isinstance(group, str) or not group.strip() or not raw["incident"]):
        raise CorpusError(f"{where}: pair_group: must be a non-empty string, on a report with an incident")
    return Item(**raw)


def _examples(path: Path, catalogue: RoutingCatalogue) -> list[Item]:
    """The catalogue's 40 synthetic examples join the corpus (their kelurahan only when the text names it)."""
    items = []
    for number, e in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["example"], start=1):
        outside = e["opd"] if catalogue.outside(e["opd"]) else None
        items.append(
            Item(
                id=f"ex-{number:04d}",
                text=e["text"],
                category=e["category"],
                opd=e["opd"],
                emergency=bool(e["emergency"]),
                outside_authority=outside,
                kelurahan=None if e["kelurahan_assumed"] else e["kelurahan"],
                channel="web_portal",
                register="formal",
                incident=None,
                provenance="examples",
            )
        )
    return items


def update_splits(items: list[Item], path: Path) -> dict[str, str]:
    """Item id -> split. Ids already in the file keep their split (the rule is applied once); new ids get the
    rule's split. Reports of one incident, and incidents of one pair group, always share a split (checked)."""
    splits: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                item_id, split = line.split("\t")
                splits[item_id] = split
    for item in items:
        splits.setdefault(item.id, split_of(item))
    by_incident: dict[str, set[str]] = defaultdict(set)
    for item in items:
        if item.incident:
            by_incident[item.incident].add(splits[item.id])
        by_incident[item.group].add(splits[item.id])
    crossing = sorted(i for i, s in by_incident.items() if len(s) > 1)
    if crossing:
        raise CorpusError(f"incidents or pair groups crossing splits: {crossing}")
    header = (
        f"# item id <TAB> split. Rule ({SPLIT_SEED}): sha256(seed, pair group or incident or id) % 100 -> "
        "train <70, dev <85, test\n"
    )
    path.write_text(header + "".join(f"{i}\t{splits[i]}\n" for i in sorted(splits)), encoding="utf-8")
    return splits


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    kind: str  # "same_incident" | "distinct_incident" (one pair group) | "random_negative"
    split: str
    kelurahan: str | None
    a_time: str
    b_time: str


def make_pairs(items: list[Item], splits: dict[str, str], catalogue: RoutingCatalogue) -> list[Pair]:
    """Labelled pairs, rule v2 (decision 0084). Positives: every two reports of one incident. Hard negatives: every two
    reports of different incidents of one pair group (same kelurahan and category, told apart by their writer).
    Random negatives: other two items of the split, at most as many as its positives (each compared only when the
    two happen to share kelurahan and category). Both sides of every pair get report times within the category's
    window, drawn the same way for positives and negatives, so time tells nothing. Two reports of one kelurahan and
    category are never a hard negative merely because no incident links them: the corpus's parts were written
    independently, and different writers' reports of one situation are not negatives. Seeded."""
    rng = random.Random(PAIR_SEED)
    pairs: list[Pair] = []
    by_incident: dict[str, list[Item]] = defaultdict(list)
    by_group: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.incident:
            by_incident[item.incident].append(item)
        if item.pair_group:
            by_group[item.pair_group].append(item)

    def times(category: str) -> tuple[str, str]:
        window = catalogue.categories[category].duplicate_window_hours
        first = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        second = first + timedelta(minutes=rng.randrange(1, max(2, int(window * 60 * 0.9))))
        return first.isoformat(), second.isoformat()

    for incident in sorted(by_incident):
        group = by_incident[incident]
        kelurahan = next((i.kelurahan for i in group if i.kelurahan), None)
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                a, b = group[x], group[y]
                t = times(a.category)
                pairs.append(Pair(a.id, b.id, True, "same_incident", splits[a.id], kelurahan, *t))
    for name in sorted(by_group):
        group = by_group[name]
        for x in range(len(group)):
            for y in range(x + 1, len(group)):
                a, b = group[x], group[y]
                if a.incident != b.incident:
                    pairs.append(
                        Pair(a.id, b.id, False, "distinct_incident", splits[a.id], a.kelurahan, *times(a.category))
                    )
    by_split: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_split[splits[item.id]].append(item)
    for split in sorted(by_split):
        pool = by_split[split]
        share = sum(1 for p in pairs if p.duplicate and p.split == split)
        for _ in range(share if len(pool) > 1 else 0):
            a, b = rng.sample(pool, 2)
            if a.incident and a.incident == b.incident:
                continue
            pairs.append(Pair(a.id, b.id, False, "random_negative", split, a.kelurahan, *times(a.category)))
    return pairs


def write_pairs(pairs: list[Pair], path: Path) -> None:
    path.write_text("".join(json.dumps(asdict(p), sort_keys=True) + "\n" for p in pairs), encoding="utf-8")


def read_pairs(path: Path) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def corpus_hash(items: list[Item], splits: dict[str, str]) -> str:
    """SHA-256 of the corpus as training sees it: every item with its split, in id order, canonical JSON."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps({**asdict(item), "split": splits[item.id]}, sort_keys=True).encode() + b"\n")
    return digest.hexdigest()
