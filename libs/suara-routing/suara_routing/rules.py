"""Explicit rules over the normalised text: where the complaint is (area), whether words say it is an emergency now,
and whether words name a body outside the city's authority. They add to the classifier; they never replace it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.text import Normaliser

# Words before an ambiguous place name that say it is a place ("pojok" alone is a corner; "kelurahan pojok" a place).
KELURAHAN_CUES = frozenset({"kelurahan", "lurah", "wilayah", "daerah", "kampung", "warga", "kawasan", "sekitar"})
KABUPATEN_CUES = frozenset(
    {"kecamatan", "desa", "dusun", "daerah", "wilayah", "kabupaten", "arah", "ke", "di", "dari", "kawasan", "warga"}
)
# After "desa", these words are not a village name.
_NOT_A_VILLAGE = frozenset(
    {
        "ini",
        "itu",
        "kami",
        "saya",
        "kita",
        "sebelah",
        "tetangga",
        "wisata",
        "sini",
        "situ",
        "dan",
        "yang",
        "adat",
        "kelurahan",
        "dana",
        "binaan",
        "di",
        "ke",
        "dari",
        "lain",
        "kota",
        "kabupaten",
        "ku",
        "e",
        "nya",
    }
)


@dataclass(frozen=True)
class Area:
    kelurahan: str | None = None
    kecamatan: str | None = None
    kabupaten_place: str | None = None  # a place of Kabupaten Kediri named in the text


class _Gazetteer:
    """One regex for many names: a match is looked up (spaces removed) to find whose name it is."""

    def __init__(self, entries: list[tuple[str, tuple[str, ...], bool]], normalise: Normaliser) -> None:
        self._names: dict[str, tuple[str, bool]] = {}
        patterns: set[str] = set()
        for name, spellings, ambiguous in entries:
            for spelling in spellings:
                words = normalise(spelling).split()
                self._names["".join(words)] = (name, ambiguous)
                patterns.add(r"\s?".join(re.escape(w) for w in words))
        alternatives = "|".join(sorted(patterns, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")

    def first(self, text: str, cues: frozenset[str]) -> str | None:
        for match in self._pattern.finditer(text):
            name, ambiguous = self._names[match.group().replace(" ", "")]
            if ambiguous:
                before = text[max(0, match.start() - 20) : match.start()].split()[-1:]
                if not before or before[0] not in cues:
                    continue
            return name
        return None


class AreaRecogniser:
    """Finds the 46 kelurahan and 3 kecamatan (names, aliases, spellings) and places of Kabupaten Kediri."""

    def __init__(self, catalogue: RoutingCatalogue, normalise: Normaliser) -> None:
        self._kelurahan = _Gazetteer(
            [(k.name, k.spellings, k.ambiguous) for k in catalogue.kelurahan.values()], normalise
        )
        self._kecamatan = _Gazetteer(
            [(kec.name, (f"kecamatan {kec.name}", *kec.spellings), False) for kec in catalogue.kecamatan.values()],
            normalise,
        )
        places = [(p.name, p.spellings, p.ambiguous) for p in catalogue.kabupaten_places]
        places += [("Kabupaten Kediri", catalogue.kabupaten_names, False)] if catalogue.kabupaten_names else []
        self._places = _Gazetteer(places, normalise)
        self._village = re.compile(r"(?<![a-z0-9])desa ([a-z]+)")
        self._kelurahan_names = {normalise(k).replace(" ", "") for k in catalogue.kelurahan}

    def find(self, text: str) -> Area:
        """`text` must be normalised. The first mention in the text wins."""
        kelurahan = self._kelurahan.first(text, KELURAHAN_CUES)
        kecamatan = self._kecamatan.first(text, KELURAHAN_CUES)
        place = self._places.first(text, KABUPATEN_CUES)
        if place is None:
            for match in self._village.finditer(text):
                word = match.group(1)
                if word not in _NOT_A_VILLAGE and word not in self._kelurahan_names and len(word) > 2:
                    place = f"Desa {word.capitalize()}"
                    break
        return Area(kelurahan, kecamatan, place)


# Words that, just before an emergency word, say it has NOT happened (yet): "rawan tumbang", "sebelum ada kecelakaan".
_NOT_NOW = frozenset(
    {
        "rawan",
        "hampir",
        "nyaris",
        "mau",
        "akan",
        "takut",
        "khawatir",
        "potensi",
        "berpotensi",
        "sebelum",
        "cegah",
        "mencegah",
        "hindari",
        "bisa",
        "bisa bisa",
        "dapat",
        "menyebabkan",
        "bikin",
        "membuat",
        "sering",
        "pernah",
        "miring",
        "kalau",
        "jika",
        "agar",
        "supaya",
        "jangan",
        "tidak",
        "belum",
        "mungkin",
        "antisipasi",
    }
)

EMERGENCY_WORDS: dict[str, str] = {
    "kebakaran": (
        r"kebakaran|terbakar|dilalap api|kobaran api|api (?:membesar|berkobar|menyala|merembet)|"
        r"asap (?:hitam )?(?:tebal|mengepul)"
    ),
    "hewan_liar": (
        r"ular|kobra|sanca|piton|sarang tawon|tawon|vespa|biawak|buaya|anjing (?:gila|liar)|"
        r"monyet (?:liar|lepas|mengamuk)|hewan (?:liar|buas)"
    ),
    "kecelakaan": r"kecelakaan|tabrakan|ditabrak|tertabrak|menabrak|terserempet|keserempet|terlindas",
    "gawat_darurat_medis": (
        r"pingsan|tidak sadarkan diri|tak sadarkan diri|sesak napas|sesak nafas|kejang|"
        r"serangan jantung|stroke|mau melahirkan|akan melahirkan|pendarahan|perdarahan|overdosis|"
        r"keracunan|ambulans"
    ),
    "bencana_banjir": (
        r"banjir (?:masuk|setinggi|sudah masuk|makin|semakin|naik|merendam)|kebanjiran|"
        r"air (?:sudah )?masuk (?:ke )?rumah|terendam|evakuasi"
    ),
    "bencana_pohon_tumbang": r"(?:pohon|dahan|batang) (?:\w+ ){0,2}(?:tumbang|roboh|ambruk|patah)",
    "bencana_alam": (
        r"angin (?:kencang|ribut)|puting beliung|longsor|gempa|(?:rumah|atap|tembok|"
        r"dinding) (?:\w+ )?(?:roboh|ambruk|terbang)"
    ),
    "sosial_odgj": (
        r"(?:odgj|orang gila|gangguan jiwa)(?: \w+){0,6} (?:mengamuk|membawa (?:senjata|parang|"
        r"pisau|celurit)|melempar\w*|menyerang|memukul\w*|mengancam|membahayakan)|mengamuk"
    ),
    "kamtibmas": (
        r"tawuran|perkelahian|berkelahi|pengeroyokan|dikeroyok|begal|dibegal|perampokan|dirampok|"
        r"jambret|penjambretan|penusukan|ditusuk|dibacok|bacok"
    ),
    "penyelamatan": (
        r"hanyut|terseret arus|tenggelam|terjebak|terjepit|terperosok|tercebur|terjatuh ke (?:sumur|"
        r"sungai|jurang)"
    ),
}


class EmergencyLexicon:
    """Words that say an emergency is happening now, by kind (an emergency category). A match preceded by a word
    such as "rawan", "sebelum" or "hampir" does not count."""

    def __init__(self, words: dict[str, str] = EMERGENCY_WORDS) -> None:
        self._patterns = {kind: re.compile(rf"(?<![a-z0-9])(?:{p})(?![a-z0-9])") for kind, p in words.items()}

    def kinds(self, text: str) -> list[str]:
        found: list[tuple[int, str]] = []
        for kind, pattern in self._patterns.items():
            for match in pattern.finditer(text):
                # The two words before the match and the words inside it ("pohon RAWAN tumbang").
                before = text[max(0, match.start() - 30) : match.start()].split()[-2:] + match.group().split()[:-1]
                if not any(w in _NOT_NOW for w in before):
                    found.append((match.start(), kind))
                    break
        return [kind for _, kind in sorted(found)]


OUTSIDE_WORDS: dict[str, str] = {
    "PLN": (
        r"pln|token listrik|listrik (?:padam|mati|byar pet|naik turun|sering mati)|mati listrik|"
        r"mati lampu|pemadaman (?:listrik|bergilir)|gardu listrik|trafo|travo|kabel listrik|"
        r"tiang listrik|meteran listrik|kwh meter"
    ),
    "POLRES_KEDIRI_KOTA": (
        r"polisi(?! tidur)|polres|polsek|kepolisian|satlantas|tilang|narkoba|sabu|pencurian|dicuri|"
        r"kemalingan|curanmor|penipuan|ditipu|begal|dibegal|jambret|judi|togel|balap liar|"
        r"tabrak lari|preman\w*"
    ),
    "PROV_JATIM_BINA_MARGA": r"jalan pro[pv]insi|bina marga provinsi",
    "PROV_JATIM_DINDIK": r"sma|smk|sman|smkn|slb|sma negeri|smk negeri",
    "BBPJN_JATIM_BALI": r"jalan nasional|bbpjn|pjn",
    "KAI_DAOP7": (
        r"perlintasan (?:sebidang|kereta|rel)|palang (?:pintu )?(?:kereta|perlintasan|rel)|"
        r"rel kereta|pt kai|kai|daop|kereta api"
    ),
    "BPJS_KESEHATAN": r"bpjs(?: kesehatan)?|jkn|kartu indonesia sehat",
    "BPN_KOTA_KEDIRI": r"bpn|sertifikat tanah|sertipikat|ptsl|pertanahan|sengketa tanah|pengukuran tanah",
    "KEMENAG_KOTA_KEDIRI": (
        r"kemenag|kementerian agama|kua|kantor urusan agama|madrasah|mts|mtsn|man \d+|man negeri|"
        r"haji|umroh|umrah|buku nikah|daftar nikah|pendaftaran nikah"
    ),
}


class OutsideLexicon:
    """Words that name a body outside the city's authority or a matter only it handles."""

    def __init__(self, words: dict[str, str] = OUTSIDE_WORDS) -> None:
        self._patterns = {code: re.compile(rf"(?<![a-z0-9])(?:{p})(?![a-z0-9])") for code, p in words.items()}

    def agencies(self, text: str) -> set[str]:
        return {code for code, pattern in self._patterns.items() if pattern.search(text)}
