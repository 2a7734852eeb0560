"""Explicit rules over the normalised text: where the complaint is (area), whether words say it is an emergency now,
and whether words name a body outside the city's authority. They add to the classifier; they never replace it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from suara_routing.catalogue import RoutingCatalogue
from suara_routing.text import Normaliser

# Words before an ambiguous place name that say it is a place ("pojok" alone is a corner; "kelurahan pojok" a place).
KELURAHAN_CUES = frozenset({"kelurahan", "lurah", "wilayah", "daerah", "kampung", "warga", "kawasan", "sekitar"})
KABUPATEN_CUES = frozenset(
    {
        "kecamatan",
        "desa",
        "dusun",
        "daerah",
        "wilayah",
        "kabupaten",
        "arah",
        "ke",
        "di",
        "dari",
        "kawasan",
        "warga",
        "pasar",
        "jalan",
        "raya",
        "orang",
        "sekitar",
        "dekat",
    }
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
class WordsPattern:
    """Whole words of a normalised text (tokens of a-z and 0-9 joined by single spaces).

    The text is searched as " " + text and the pattern starts with that literal space, so a match's start is its first
    word's index in the text itself. A literal first character lets the regex engine try the alternatives only where
    a word starts; a look-behind such as (?<![a-z0-9]) is tried at every character (about a third slower on the danger
    lexicon; decision 0085). Groups and starts are as in the text; `group()` has the leading space."""

    pattern: re.Pattern[str]

    @staticmethod
    def of(alternatives: str) -> WordsPattern:
        return WordsPattern(re.compile(rf" (?:{alternatives})(?![a-z0-9])"))

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(f" {text}")

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(f" {text}")


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
        self._pattern = WordsPattern.of("|".join(sorted(patterns, key=len, reverse=True)))

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
        self._village = WordsPattern.of(r"desa ([a-z]+)")
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


# Words that, among the three words before an emergency word, say it has NOT happened (yet): "rawan tumbang",
# "sebelum ada kecelakaan".
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
        "bukan",
        "dudu",
        "ngeri",
        "wedi",
        "kuwatos",
        "tiap",
        "setiap",
        "saben",
    }
)

_HEDGES = frozenset({"rawan", "hampir", "nyaris", "belum", "tidak", "potensi", "berpotensi", "bisa", "mungkin"})

EMERGENCY_WORDS: dict[str, str] = {
    "kebakaran": (
        r"(?<!pemadam )kebakaran|terbakar|kebakar|dilalap api|kobaran api|api (?:\w+ )?(?:membesar|berkobar|menyala|"
        r"merembet|besar|"
        r"gede|nyambar|menjalar)|apinya (?:\w+ )?(?:besar|gede|membesar|nyambar|merembet)|"
        r"asap (?:hitam )?(?:tebal|mengepul)|kepulan asap|mengeluarkan asap|asap dan api|(?<!kereta )(?<!kembang )api|"
        r"ada asap dari (?:ruang|rumah|dapur|lantai|gudang|toko|ruko|kamar|genset|kios|los|atap)|"
        r"apinya|(?:tolong|mohon|kirim|butuh|panggil|minta) (?:\w+ )?pemadam|ngebul|kukus|meledak|ledakan|"
        r"kesamber petir|tersambar petir|(?:gas|elpiji|lpg)(?: \w+){0,3} bocor|bau gas (?:menyengat|kuat|tajam)|murub|"
        r"mbledos|njeblug|bledosan|(?<!pak )(?<!mas )(?<!kang )(?<!cak )asap (?:\w+ ){0,2}(?:keluar|metu|mbulet|"
        r"membubung) (?:dari|seko) (?:\w+ )?(?:jendela|atap|plafon|kamar|rumah|gudang|toko|ruko|kios)"
    ),
    "hewan_liar": (
        r"ular|ula|kobra|sanca|piton|welang|sarang tawon|tawon|vespa|lebah|biawak|(?<!retak )buaya|anjing (?:gila|"
        r"liar|galak)|"
        r"(?:monyet|kera|kethek) (?:\w+ )?(?:liar|lepas|mengamuk|masuk|menyerang|nyerang|mengejar|ngejar|mencakar)|"
        r"hewan (?:liar|buas)|binatang (?:liar|buas)|menggigit|digigit (?:anjing|ular|monyet|biawak|kera)|"
        r"anjing (?:\w+ )?(?:mengejar|ngejar|menyerang|nyerang)|anjing (?:\w+ ){0,2}rabies|"
        r"kalajengking|kelabang|lipan|celeng|babi hutan|"
        r"landak|musang masuk|luwak masuk|asu (?:\w+ ){0,2}(?:galak|liar|gila|nyokot|rabies|ngoyak)|"
        r"sawer (?:ageng|gede|besar|dowo|ireng|welang|masuk)"
    ),
    "kecelakaan": (
        r"kecelakaan|tabrakan|tabrak lari|kesrempet|tabrak|ditabrak|kebentur|dhawah|tertabrak|menabrak|nabrak|"
        r"terserempet|keserempet|terlindas|kelindes|dilindas|"
        r"jatuh dari (?:motor|sepeda|pohon|perancah|atap|tangga|genteng|lantai)|terjatuh|tertimpa|ketiban|kejatuhan|"
        r"menimpa|nimpa|terbentur|senggolan|disenggol|kesenggol|tabrakan beruntun|"
        r"(?:truk|truck|mobil|motor|bus|bis|angkot|pikap|pick up|becak|sepeda|kendaraan|mobilnya|motornya)"
        r"(?: \w+)? (?:terguling|terbalik|ngguling|nyungsep|terperosok|masuk (?:sungai|selokan|jurang|parit|kali))|"
        r"terguling|terpental|korban (?:\w+ )?(?:tergeletak|terkapar|terjepit)"
    ),
    "gawat_darurat_medis": (
        r"pingsan|tidak sadarkan diri|tak sadarkan diri|tidak sadar|tidak bangun bangun|tidak respon|sesak|"
        r"kejang|serangan jantung|stroke|mau melahirkan|akan melahirkan|pendarahan|perdarahan|(?<!demam )berdarah|"
        r"darah (?:banyak|terus|mengalir|mengucur)|banyak darah|getihen|"
        r"overdosis|keracunan|lumpuh separuh|ngelantur|(?:tolong|mohon|minta|butuh|kirim|panggil|"
        r"perlu) (?:\w+ )?(?:ambulans|ambulan|ambulance|amblns)|"
        r"(?:ambulans|ambulan|ambulance|amblns) (?:please|segera|cepat|tolong)|tersedak|kesedak|"
        r"tidak bisa (?:bernapas|bernafas|napas|"
        r"nafas)|luka bakar|melepuh|penuh darah|mimisan|(?:minum|ngombe|menelan) (?:obat nyamuk|racun|cairan)|"
        r"tersengat listrik|kesetrum|kesetrum listrik|muntah darah|sesek napas|sesek nafas|ngap ngapan|megap megap|"
        r"nyeri dada|sakit dada|henti jantung|gagal napas|napas (?:tersengal|berat|sesak)|sekarat|kondisi kritis|"
        r"(?:ketuban|air ketuban)(?:nya|ipun|e)? (?:sudah )?pecah|pecah ketuban|mau lahiran|mau brojol|kontraksi|"
        r"koma|kolaps|"
        r"tergeletak|terkapar|tergolek|patah tulang|tulang (?:\w+ )?patah|luka (?:robek|parah|serius|berat|"
        r"menganga)|jatuh di kamar mandi|(?:anak|bayi|adik|balita) (?:\w+ )?step|gawat darurat|darurat medis|"
        r"tidak bisa bangun|tidak bergerak|tidak bernapas|tidak bernafas|bibir (?:\w+ )?biru|lemas tidak|"
        r"tidak (?:iso |saged )?napas|(?:badan|badannya|lambe|lambene|muka|mukanya|wajah|wajahnya) (?:\w+ )?biru|"
        r"dada(?:nya)? (?:\w+ ){0,2}(?:ditekan|ditindih)"
    ),
    "bencana_banjir": (
        r"banjir (?:masuk|setinggi|sudah masuk|makin|semakin|naik|merendam|bandang|menggenangi)|kebanjiran|"
        r"banjir bandang|"
        r"air (?:\w+ ){0,3}(?:masuk|meluap) (?:ke )?(?:dalam )?(?:rumah|kamar|teras|ruang|kelas|kos|permukiman|"
        r"perkampungan|dalem)|terendam|evakuasi|mengungsi|ngungsi|perahu karet|air bah|tanggul (?:\w+ ){0,3}jebol|"
        r"(?:air|banjir) (?:sudah )?(?:sepinggang|sedada|selutut|sepaha|seleher)|air setinggi (?:lutut|pinggang|dada)|"
        r"(?:sungai|kali|brantas|bengawan) (?:\w+ ){0,2}(?:meluap|meluber|mbludak|luber|banjir)|"
        r"(?:genangan|banjir|banyu) (?:\w+ ){0,3}masuk (?:ke )?(?:dalam )?(?:rumah|kamar|teras|ruang|kelas|kos)|"
        r"air (?:sungai |kali )?(?:terus naik|naik terus|makin tinggi|semakin tinggi|naik cepat)|"
        r"terjebak banjir|warga (?:\w+ )?terisolasi|"
        r"(?:banjir|genangan)(?: \w+){0,4} (?:sak|setinggi) (?:lutut|pinggang|dada)|"
        r"air (?:sudah )?sak (?:lutut|pinggang|dada)"
    ),
    "bencana_pohon_tumbang": (
        r"(?:pohon|dahan|batang|cabang|ranting besar|bambu|barongan|carang|kayu (?:besar|gede|ageng)) "
        r"(?:\w+ ){0,4}(?:tumbang|roboh|"
        r"ambruk|patah|rubuh|sempal|ambrol|menimpa|nimpa|rebah)|tumbang melintang|sempalan (?:\w+ )?pohon|"
        r"(?<!lampu )(?<!rambu )(?<!pju )(?<!papan )(?:jalan|jalannya|jalane|dalane) (?:sudah |total )?"
        r"(?:ketutup|tertutup) (?:pohon|batang pohon|kayu)"
    ),
    "bencana_alam": (
        r"angin (?:kencang|ribut|besar)|puting beliung|longsor|gempa|(?:rumah|atap|tembok|"
        r"dinding|genteng|gentengku|bangunan|plafon|payon\w*|tenda) (?:\w+ ){0,2}(?:roboh|ambruk|ambrol|terbang|"
        r"ambyar|runtuh)|"
        r"reruntuhan|lesus|angin (?:kenceng|gedhe|banter|puyuh)|hujan es|(?:talud|plengsengan|tembok penahan|tanggul)"
        r" (?:\w+ ){0,2}(?:ambrol|jebol|longsor|runtuh|roboh)|(?:baliho|reklame|papan reklame|kanopi|tower|"
        r"menara|asbes|seng) (?:\w+ ){0,2}(?:roboh|ambruk|ambrol|terbang|runtuh|tumbang)|"
        r"tebing (?:\w+ ){0,2}(?:gugur|ambrol|runtuh)"
    ),
    "sosial_odgj": (
        r"(?:odgj|orang gila|orgil|gangguan jiwa|orang stres|orang stress|gendeng|orang gendheng|tidak waras|"
        r"kurang waras|sakit jiwa)"
        r"(?: \w+){0,8} (?:mengamuk|mencekik|menganiaya|membakar|bakar|menggigit|ngejar\w*|ngamuk|membawa (?:senjata|"
        r"parang|"
        r"pisau|celurit)|bawa (?:celurit|clurit|parang|pisau|golok|kayu|batu|sajam)|melempar\w*|ngelempar\w*|"
        r"menyerang|nyerang|memukul\w*|mukul\w*|mengancam|ngancam|membahayakan|ngejar|mengejar|mecahin|memecahkan|"
        r"merusak|masuk|nyegat\w*|ngadang\w*|ngoyak\w*|nampar|lempar\w*|nantang)|mengamuk"
    ),
    "kamtibmas": (
        r"tawuran|perkelahian|berkelahi|pengeroyokan|dikeroyok|begal|dibegal|perampokan|dirampok|"
        r"jambret|penjambretan|penusukan|ditusuk|dibacok|bacok|senjata tajam|sajam|celurit|clurit|parang|golok|"
        r"pedang|keributan|saling pukul|saling lempar|main hakim|dibuntuti|buka paksa|maksa masuk|memaksa masuk|"
        r"gedor\w*|pisau|rampok|merampok|perampok|penodongan|ditodong|pembacokan|carok|bentrok\w*|kerusuhan|ricuh|"
        r"rusuh|penganiayaan|dianiaya|dipukuli|digebuki|pemukulan|amuk massa|nyongkel|congkel|mencongkel|"
        r"menyongkel|menodong|nodong|dijambret|njambret|menjambret|"
        r"pencuri(?:nya)? (?:\w+ ){0,2}(?:masuk|beraksi|sedang|lagi|masih|kabur|ketahuan|mlayu)|"
        r"balap liar(?: \w+){0,16} (?:sekarang|saat ini) (?:lagi|sedang|masih) "
        r"(?:rame|ramai|berlangsung|balapan)"
    ),
    "penyelamatan": (
        r"hanyut|terseret|keseret|nyemplung|(?:mau|akan|hendak|ingin|mencoba) bunuh diri|bunuh diri|"
        r"terbawa arus|kebawa arus|tenggelam|terjebak|terjepit|"
        r"terperosok|tercebur|kecebur|"
        r"kecemplung|terkunci di|kekunci|nyangkut|tersangkut|tidak bisa turun|terjatuh ke (?:sumur|sungai|jurang)|"
        r"jatuh ke (?:sumur|sungai|"
        r"jurang|selokan)|kejeglong|terjeblos|kejeblos|kejepit|terkurung|gantung diri|"
        r"(?:mau|akan|hendak) (?:loncat|lompat|terjun)|cincin (?:\w+ ){0,3}(?:tidak bisa|susah) (?:dilepas|lepas)|"
        r"korban (?:\w+ ){0,2}belum ditemukan|pencarian korban|pendaki (?:\w+ )?(?:cedera|hilang|tersesat|jatuh)|"
        r"tersesat|terbawa air|kebawa banjir|terbawa banjir|perahu (?:\w+ ){0,2}terbalik|"
        r"tertimbun (?:\w+ ){0,2}(?:longsor\w*|tanah|reruntuhan|material)"
    ),
}

# A missing child, or an elder with dementia, is a search now (penyelamatan): a rule of its own, because its words
# need checks the other cues do not (decision 0085). Its negations ("belum ketemu") are the danger, not hedges.
MISSING_PERSON = (
    r"(?:anak|balita|lansia|kakek|nenek|mbah|simbah|orang tua)(?: \w+){0,3} (?:pikun |linglung )?"
    r"(?:hilang|ilang|ical|belum ketemu|tidak ketemu|belum pulang|tidak pulang)|"
    r"(?:pikun|linglung|demensia|alzheimer)(?: \w+){0,3} (?:hilang|ilang|ical|keluar rumah|belum ketemu|tidak ketemu)"
)
# Not a person when a thing or an animal is what went missing, in the four words before, inside, or the two after
# ("akta kelahiran anak saya hilang", "anak saya hilang sepedanya"); not now when it is a habit ("sering") or found.
# fmt: off
_MISSING_THINGS = frozenset({
    "ktp", "kk", "kia", "akta", "kartu", "surat", "rapor", "raport", "ijazah", "buku", "dokumen", "berkas",
    "sertifikat", "paspor", "motor", "motornya", "sepeda", "sepedanya", "hp", "hpnya", "ponsel", "dompet",
    "dompetnya", "tas", "tasnya", "kunci", "kuncinya", "helm", "helmnya", "uang", "uangnya", "barang", "barangnya",
    "sandal", "sandalnya", "sepatu", "sepatunya", "laptop", "kucing", "kucingnya", "anjing", "anjingnya", "ayam",
    "burung", "kambing", "sapi",
})
# fmt: on
_HABITS = frozenset({"sering", "suka", "biasa", "biasanya", "kadang", "jarang", "selalu", "saben", "tiap", "setiap"})
_FOUND = re.compile(r"\bsudah (?:ketemu|ditemukan|pulang|kembali)\b")

# Words anywhere in the text that say the danger is over, in the past or not real: the lexicon then does not count
# (the classifier's emergency head still decides on its own).
PAST_OR_OVER = WordsPattern.of(
    r"kemarin|kemaren|minggu lalu|bulan lalu|tahun lalu|hari lalu|sudah padam|sudah dipadamkan|"
    r"sudah surut|sudah kami padamkan|sudah reda|pelatihan|simulasi|sosialisasi|hoax|hoaks|tidak ada korban|"
    r"tanpa korban|tidak mengganggu|tidak ngamuk|tidak menyerang|tidak nyerang|sudah hilang|sudah pergi|"
    r"sudah ditangkap|sudah diamankan|sudah diobati|sudah membaik|sudah ditangani|(?:belum|tidak) (?:ada|terlihat) api|"
    r"bukan kebakaran|bukan darurat|cuma nanya|cuma tanya|mau tanya|mau nanya|bertanya|tanglet|mohon pirsa|"
    r"konsultasi|jaga jaga|sudah (?:\d+|dua|tiga|berapa) (?:tahun|bulan|minggu)|pekan lalu|sasi kepengker|"
    r"bukan keadaan darurat"
)


class EmergencyLexicon:
    """Words that say an emergency is happening now, by kind (an emergency category). A match preceded by a word
    such as "rawan", "sebelum" or "hampir" does not count."""

    def __init__(
        self,
        words: dict[str, str] = EMERGENCY_WORDS,
        past: WordsPattern | None = PAST_OR_OVER,
        missing_person: str | None = MISSING_PERSON,
    ) -> None:
        self._patterns = {kind: WordsPattern.of(p) for kind, p in words.items()}
        self._past = past
        self._missing = WordsPattern.of(missing_person) if missing_person else None

    def over(self, text: str) -> bool:
        """A word says the danger is over, in the past or not real ("kemarin", "sudah padam", "simulasi")."""
        return self._past is not None and self._past.search(text) is not None

    def kinds(self, text: str) -> list[str]:
        """Kinds of emergency the words say is happening now, first mentioned first; none when the text says it is
        over or in the past."""
        if self.over(text):
            return []
        found: list[tuple[int, str]] = []
        for kind, pattern in self._patterns.items():
            for match in pattern.finditer(text):
                # The two words before the match and the words inside it ("pohon RAWAN tumbang").
                # The three words before the match, and hedges inside a short one ("pohon RAWAN tumbang"); "tidak
                # sadar" and "mau melahirkan" are the danger itself; a long match is two cues far apart.
                before = text[max(0, match.start() - 40) : match.start()].split()[-3:]
                words = match.group().split()
                inside = words[1:-1] if len(words) <= 5 else []
                if "tidak bisa" in match.group():  # "tidak bisa bernapas": what cannot be done is the danger
                    inside = [w for w in inside if w not in ("tidak", "bisa")]
                if not any(w in _NOT_NOW for w in before) and not any(w in _HEDGES for w in inside):
                    found.append((match.start(), kind))
                    break
        missing = self._missing_person(text)
        if missing is not None and all(kind != "penyelamatan" for _, kind in found):
            found.append((missing, "penyelamatan"))
        return [kind for _, kind in sorted(found)]

    def _missing_person(self, text: str) -> int | None:
        """Where a missing child or elder is first reported, if one is (see MISSING_PERSON)."""
        if self._missing is None:
            return None
        for match in self._missing.finditer(text):
            start, end = match.start(), match.end() - 1  # end in the text (the match has the leading space)
            before = text[max(0, start - 40) : start].split()[-4:]
            inside = match.group().split()
            after = text[end : end + 60]
            if (
                any(w in _MISSING_THINGS for w in (*before, *inside, *after.split()[:2]))
                or any(w in _HABITS for w in inside)
                or any(w in _NOT_NOW for w in before[-3:])
                or _FOUND.search(after) is not None
            ):
                continue
            return start
        return None


OUTSIDE_WORDS: dict[str, str] = {
    "PLN": (
        r"pln|token listrik|listrik (?:padam|mati|byar pet|naik turun|sering mati)|mati listrik|"
        r"mati lampu|pemadaman (?:listrik|bergilir)|gardu listrik|trafo|travo|kabel listrik|"
        r"tiang listrik|meteran listrik|kwh meter"
    ),
    "POLRES_KEDIRI_KOTA": (
        r"polisi(?! tidur| pamong)|polres|polsek|kepolisian|satlantas|tilang|narkoba|sabu|pencurian|dicuri|"
        r"kemalingan|curanmor|penipuan|ditipu|begal|dibegal|jambret|judi|togel|balap liar|"
        r"tabrak lari|preman\w*|tawuran|senjata tajam|sajam|celurit|clurit|pengeroyokan|dikeroyok|"
        r"perkelahian|berkelahi|keributan|pencuri\w*|maling|copet|kecopetan|pil koplo|pengedar|miras|"
        r"dibobol|membobol|buka paksa|geng motor|perguruan silat|dipalak|pemalakan|kehilangan (?:motor|sepeda|hp|"
        r"dompet)|"
        r"\w+ (?:hilang|ilang) di parkiran"
    ),
    "PROV_JATIM_BINA_MARGA": (
        r"jalan pro[pv]insi|bina marga provinsi|(?:jalan|ruas|jalur) (?:\w+ )?(?:berstatus )?pro[pv]insi"
    ),
    "PROV_JATIM_DINDIK": r"sma|smk|sman|smkn|slb|sma negeri|smk negeri",
    "BBPJN_JATIM_BALI": r"(?:jalan|jalur|ruas) nasional|bbpjn|pjn|jalan negara",
    "KAI_DAOP7": (
        r"perlintasan (?:sebidang|kereta|rel)|palang (?:pintu )?(?:kereta|perlintasan|rel)|"
        r"rel kereta|pt kai|kai|daop|kereta api|perlintasan ka"
    ),
    # "pasien BPJS" says how a patient pays; the complaint is about the hospital or puskesmas, not BPJS's own matter.
    "BPJS_KESEHATAN": r"(?<!pasien )bpjs(?! ketenagakerjaan| tk| pbi)(?: kesehatan)?|jkn|kartu indonesia sehat",
    "BPN_KOTA_KEDIRI": r"bpn|sertifikat tanah|sertipikat|ptsl|pertanahan|sengketa tanah|pengukuran tanah",
    "KEMENAG_KOTA_KEDIRI": (
        r"kemenag|kementerian agama|kua|kantor urusan agama|madrasah|mts|mtsn|man \d+|man negeri|"
        r"haji|umroh|umrah|daftar nikah|pendaftaran nikah|mi swasta|mi negeri|pondok pesantren|ponpes"
    ),
}


# Words just before an outside-authority word that make it a risk, not the matter itself ("rawan begal": the
# complaint is the dark street lamp, not a crime for the police).
_ONLY_A_RISK = frozenset(
    {"rawan", "takut", "khawatir", "cegah", "mencegah", "potensi", "berpotensi", "antisipasi", "hindari", "sering"}
)


class OutsideLexicon:
    """Words that name a body outside the city's authority or a matter only it handles (a word right after "rawan",
    "takut", "sering" … names a risk, not the matter, and does not count)."""

    def __init__(self, words: dict[str, str] = OUTSIDE_WORDS) -> None:
        self._patterns = {code: WordsPattern.of(p) for code, p in words.items()}

    def agencies(self, text: str) -> set[str]:
        found = set()
        for code, pattern in self._patterns.items():
            for match in pattern.finditer(text):
                before = text[max(0, match.start() - 30) : match.start()].split()[-2:]
                if not any(w in _ONLY_A_RISK for w in before):
                    found.add(code)
                    break
        return found
