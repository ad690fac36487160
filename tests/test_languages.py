from __future__ import annotations

import pytest

from bayling_data import languages


def test_registry_covers_flores101_and_more():
    everything = languages.all_languages()
    assert len([x for x in everything if x.flores101]) >= 101
    assert len(everything) > 101
    codes = [x.code for x in everything]
    assert len(codes) == len(set(codes))
    assert all(x.tier in languages.TIERS for x in everything)


@pytest.mark.parametrize("alias", ["zh", "zho", "zho_Hans", "Chinese", "中文", "ZH", "zh-Hans", "简体中文"])
def test_lookup_by_any_alias(alias):
    assert languages.get(alias).code == "zho_Hans"


def test_unknown_language_suggests_near_matches():
    with pytest.raises(languages.UnknownLanguageError, match=r"did you mean deu_Latn \(German\)"):
        languages.get("germna")
    with pytest.raises(languages.UnknownLanguageError, match=r"did you mean lmo_Latn \(Lombard\)"):
        languages.get("lmo_latn_x")  # codes as they are written, not lower-cased


def test_parse_langs_groups():
    assert [x.code for x in languages.parse_langs("zh, en,de,en")] == ["zho_Hans", "eng_Latn", "deu_Latn"]
    low = languages.parse_langs("tier:low")
    assert low and all(x.tier == "low" for x in low)
    assert len(languages.parse_langs("flores101")) >= 101
    with pytest.raises(languages.UnknownLanguageError):
        languages.parse_langs("tier:tiny")


def test_inseparable_and_sibling_groups():
    assert languages.same_group("nob_Latn", "nno_Latn")
    assert languages.same_group("dan_Latn", "nob_Latn")  # measured: short Danish and Bokmål are often the same text
    assert not languages.same_group("deu_Latn", "nld_Latn")
    assert {"hrv_Latn", "bos_Latn", "srp_Cyrl"} <= languages.siblings("hrv_Latn")
    assert languages.get("de").name_in("zho_Hans") == "德语"


def test_registry_has_every_flores200_code_and_script_variants():
    flores200 = [x for x in languages.all_languages() if x.flores200]
    assert len(flores200) == 204
    for code in ("lim_Latn", "sat_Olck", "taq_Tfng", "tzm_Tfng", "knc_Arab", "mni_Beng", "ydd_Hebr", "arb_Latn"):
        assert languages.get(code).flores200
    assert languages.get("srp_Latn").script == "Latn" and languages.get("tat_Latn").script == "Latn"
    assert len(languages.parse_langs("flores200")) == 204


def test_script_of_unknown_codes():
    assert languages.find("xyz_Latn") is None
    assert languages.script_of("xyz_Latn") == "Latn"  # a FLORES-style code names its script
    assert languages.script_of("xyz") is None
    assert languages.script_of("lim_Latn") == "Latn"
