"""Area, emergency and outside-authority rules read the normalised text."""

from __future__ import annotations

import pytest

from suara_routing.rules import AreaRecogniser, EmergencyLexicon, OutsideLexicon
from suara_routing.text import normaliser

normalise = normaliser()


@pytest.fixture(scope="module")
def areas(catalogue) -> AreaRecogniser:
    return AreaRecogniser(catalogue, normalise)


def test_normalisation_expands_whatsapp_abbreviations_and_javanese() -> None:
    assert normalise("Jln rusak yg dkt Pasar, tlg diperbaiki!!") == "jalan rusak yang dekat pasar tolong diperbaiki"
    assert normalise("Dalan bolong, kulo nyuwun tulung") == "jalan berlubang saya mohon tolong"
    assert normalise("ibu2 tolooong") == "ibu ibu tolong"


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("Sampah numpuk di kel. Bandar Lor", "Bandar Lor"),
        ("jalan di bandarlor rusak", "Bandar Lor"),
        ("gang sempit di Setono Gedhong", "Setonogedong"),
        ("warga Kelurahan Pojok mengeluh", "Pojok"),
        ("lampu di pojok jalan mati", None),  # "pojok" without a place cue is a corner
        ("banjir di tampurejo", "Tempurejo"),
    ],
)
def test_kelurahan_are_found_by_name_alias_and_spelling(areas, text, kelurahan) -> None:
    assert areas.find(normalise(text)).kelurahan == kelurahan


def test_all_46_kelurahan_are_found_by_their_names(areas, catalogue) -> None:
    for name in catalogue.kelurahan:
        assert areas.find(normalise(f"di kelurahan {name} ada masalah")).kelurahan == name


def test_kabupaten_places_are_recognised_and_ambiguous_words_need_a_cue(areas) -> None:
    assert areas.find(normalise("Jalan rusak dekat Simpang Lima Gumul")).kabupaten_place == "Simpang Lima Gumul"
    assert areas.find(normalise("lampu mati di Kec. Gurah")).kabupaten_place == "Gurah"
    assert areas.find(normalise("jalan di pare berlubang")).kabupaten_place == "Pare"
    assert areas.find(normalise("harga pare dan terong naik")).kabupaten_place is None
    assert areas.find(normalise("sampah di Desa Sumberejo")).kabupaten_place == "Desa Sumberejo"
    assert areas.find(normalise("jalan kecamatan mojoroto")).kecamatan == "Mojoroto"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("rumah terbakar api membesar", "kebakaran"),
        ("ada ulo mlebu omah", "hewan_liar"),
        ("pohon tumbang menutup jalan sekarang", "bencana_pohon_tumbang"),
        ("anak hanyut di sungai brantas", "penyelamatan"),
        ("tabrakan motor korban luka", "kecelakaan"),
    ],
)
def test_emergency_words_are_recognised_by_kind(text, kind) -> None:
    assert EmergencyLexicon().kinds(normalise(text))[:1] == [kind]


@pytest.mark.parametrize(
    "text",
    ["pohon rawan tumbang mohon dipangkas", "jalan berlubang sebelum ada kecelakaan", "naik kereta api ke surabaya"],
)
def test_words_that_say_it_has_not_happened_are_not_an_emergency(text) -> None:
    assert EmergencyLexicon().kinds(normalise(text)) == []


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("listrik padam sejak pagi", "PLN"),
        ("jalan nasional berlubang", "BBPJN_JATIM_BALI"),
        ("pungutan di SMAN 2 mahal", "PROV_JATIM_DINDIK"),
        ("palang pintu kereta rusak", "KAI_DAOP7"),
        ("sertifikat tanah belum jadi di BPN", "BPN_KOTA_KEDIRI"),
        ("antrean daftar nikah di KUA lama", "KEMENAG_KOTA_KEDIRI"),
    ],
)
def test_outside_authority_words_name_their_agency(text, agency) -> None:
    assert agency in OutsideLexicon().agencies(normalise(text))


def test_a_speed_bump_is_not_the_police() -> None:
    assert OutsideLexicon().agencies(normalise("polisi tidur terlalu tinggi")) == set()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tulung omahku kobong anakku isih nang njero", "kebakaran"),
        ("tawuran di jembatan puluhan anak bawa sajam", "kamtibmas"),
        ("air sudah sepinggang orang dewasa butuh perahu karet", "bencana_banjir"),
        ("bapak saya tidak sadar setelah jatuh di kamar mandi", "gawat_darurat_medis"),
        ("ada orang gila ngejar ibu ibu pakai kayu di depan sekolah", "sosial_odgj"),
        ("anak kecebur sumur tolong", "penyelamatan"),
        # Decision 0085: Javanese words mapped, and cues the lexicon missed in train + dev emergencies.
        ("bojoku ora iso ambegan tolong", "gawat_darurat_medis"),
        ("mbah putri keselek biji salak", "gawat_darurat_medis"),
        ("asep ireng metu seko jendela rumah tonggoku", "kebakaran"),
        ("ada sawer besar ing ngandhap amben", "hewan_liar"),
        ("kajeng besar rebah nutupi jalan sedaya", "bencana_pohon_tumbang"),
        ("perahu penyeberangan terbalik di brantas", "penyelamatan"),
        ("wong gendheng nyegat motor nggowo watu", "sosial_odgj"),
        ("ada dua orang nyongkel pintu rumah kosong sekarang", "kamtibmas"),
        ("lansia pikun hilang dari tadi pagi mohon bantu cari", "penyelamatan"),
        ("anak saya hilang di keramaian alun alun sudah 30 menit", "penyelamatan"),
        ("anak saya belum pulang sejak sore hp tidak aktif tolong", "penyelamatan"),
        ("balita tidak ketemu di pasar", "penyelamatan"),
        ("bocah ilang nang alun alun", "penyelamatan"),
        ("banyune wis sak pinggang", "bencana_banjir"),
        ("malinge mlayu nggowo motor tonggo", "kamtibmas"),
        ("rumah kebakaran anak saya sudah dievakuasi tapi bapak masih di dalam", "kebakaran"),
    ],
)
def test_more_danger_cues_in_indonesian_and_javanese(text, kind) -> None:
    assert kind in EmergencyLexicon().kinds(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "kemarin ada kebakaran di gudang, sekarang mohon hidran diperiksa",
        "api sudah padam, tinggal bau asap",
        "simulasi kebakaran di balai kota besok pagi",
        "banjir sudah surut, tolong bantu bersih bersih lumpur",
        "kapan pemadam kebakaran ngecek hidran di perumahan kami",
        "ada retak buaya di aspal jalan",
        "rambu dilarang belok ketutup daun pohon",
        "rumput taman sudah setinggi lutut",
        "anak yang hilang tadi pagi sudah ketemu terima kasih",
        "surat pengantar ktp anak saya hilang di meja staf",
        # Decision 0085, from a review: everyday complaints the first version of the new cues flagged.
        "akta kelahiran anak saya hilang mau urus baru",
        "anak saya hilang sepedanya di parkiran sekolah",
        "mbah saya pikun sering keluar rumah",
        "kursi kayu di taman sudah patah",
        "lampu jalan tertutup dahan pohon mohon dipangkas",
        "rambu jalan tertutup pohon tidak kelihatan",
        "hajatan dangdut sampai jam 2 malam penonton sawer biduan berisik",
        "gendheng omahku bocor pas udan deres",
        "asap pembakaran tahu keluar dari dapur pabrik tiap hari",
        "pak asep keluar dari rumah bawa sapu",
        "dada saya tertekan lihat pelayanan kelurahan",
        "keringat dingin nunggu antrean 5 jam",
    ],
)
def test_past_over_or_not_real_dangers_are_not_an_emergency_by_words(text) -> None:
    assert EmergencyLexicon().kinds(normalise(text)) == []


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("jalur nasional arah tulungagung lubang besar", "BBPJN_JATIM_BALI"),
        ("ruas jalan berstatus provinsi bergelombang", "PROV_JATIM_BINA_MARGA"),
        ("ada yang jual pil koplo di warung kopi", "POLRES_KEDIRI_KOTA"),
        ("listrik padam sejak pagi", "PLN"),
    ],
)
def test_outside_words_name_their_agency(text, agency) -> None:
    assert agency in OutsideLexicon().agencies(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "yth satuan polisi pamong praja mohon tertibkan pkl",
        "lampu jalan mati rawan begal mohon diperbaiki",
        "sering terjadi jambret karena gelap, tolong tambah lampu",
    ],
)
def test_a_risk_or_the_municipal_police_is_not_a_matter_for_the_police(text) -> None:
    assert "POLRES_KEDIRI_KOTA" not in OutsideLexicon().agencies(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "lampu pju mati di jalan semeru",
        "jalan nasional berlubang dekat terminal",
        "sampah menumpuk di pasar setonobetek",
        "surat pengantar di kelurahan lama sekali",
    ],
)
def test_routing_with_the_words_prefilter_gives_the_same_rule_as_without(catalogue, text) -> None:
    norm = normalise(text)
    words = frozenset(norm.split())
    for category in catalogue.categories:
        assert catalogue.route(category, norm, "Bujel", words) == catalogue.route(category, norm, "Bujel")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ada orang mau bunuh diri di atas jembatan", "penyelamatan"),
        ("ibu ini mau melahirkan di angkot tolong", "gawat_darurat_medis"),
        ("pohon besar tumbang menutup jalan", "bencana_pohon_tumbang"),
    ],
)
def test_words_that_are_part_of_the_danger_do_not_cancel_it(text, kind) -> None:
    assert kind in EmergencyLexicon().kinds(normalise(text))


def test_a_hedge_inside_the_phrase_cancels_it() -> None:
    assert EmergencyLexicon().kinds(normalise("pohon besar belum tumbang tapi miring")) == []


def test_a_patient_who_pays_with_bpjs_is_not_a_matter_for_bpjs() -> None:
    hospital_queue = "Antrean poli di RSUD sampai siang, pasien BPJS dipingpong antar loket."
    assert "BPJS_KESEHATAN" not in OutsideLexicon().agencies(normalise(hospital_queue))
    assert "BPJS_KESEHATAN" in OutsideLexicon().agencies(normalise("Kartu BPJS saya tiba-tiba tidak aktif"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tabung elpiji di warung bocor, baunya kemana mana", "kebakaran"),
        ("omah kosong cedhak rel murub, wong wong nyiram", "kebakaran"),
        ("kera lepas nyakar anak kecil di atap rumah", "hewan_liar"),
        ("ada kalajengking besar masuk kamar bayi", "hewan_liar"),
        ("mobil boks terguling di jalan hasanudin, sopirnya di kabin", "kecelakaan"),
        ("bapak tergeletak di kamar mandi tidak merespons", "gawat_darurat_medis"),
        ("istri saya ketuban pecah dan tidak ada kendaraan", "gawat_darurat_medis"),
        ("ibu kula badhe babaran, ketubanipun sampun pecah", "gawat_darurat_medis"),  # krama: -ipun, sampun
        ("ibu tidak bisa bernapas, tolong", "gawat_darurat_medis"),
        ("kali brantas meluap ke kampung", "bencana_banjir"),
        ("bambu barongan ambruk nutup jalan", "bencana_pohon_tumbang"),
        ("angin lesus lewat, gentheng mabur", "bencana_alam"),
        ("plengsengan sungai ambrol sepanjang 10 meter", "bencana_alam"),
        ("orang tidak waras mengamuk di terminal", "sosial_odgj"),
        ("ada perampok di toko emas, warga ngepung", "kamtibmas"),
        ("pencuri masih di dalam rumah tetangga", "kamtibmas"),
        ("anak kejepit pagar besi", "penyelamatan"),
        ("pemuda di pagar jembatan mau loncat", "penyelamatan"),
    ],
)
def test_a_broader_danger_lexicon_from_112_incident_types(text, kind) -> None:
    assert kind in EmergencyLexicon().kinds(normalise(text))


@pytest.mark.parametrize(
    "text",
    [
        "cuti saya hangus karena oss gangguan",
        "tanya jadwal vaksin rabies kucing gratis",
        "warga tidak bisa keluar rumah karena jalan dipakai parkir bus",
        "tiap angin kenceng genteng bergeser",
        "ada dahan melintang setinggi kepala di trotoar",
    ],
)
def test_broader_lexicon_words_that_are_not_a_danger_now(text) -> None:
    assert EmergencyLexicon().kinds(normalise(text)) == []
