"""Generator options are refused where they are declared, before any teacher (or llama.cpp) starts."""

from __future__ import annotations

import pytest

from bayling_data.generators.crosslingual import CrosslingualOptions
from bayling_data.generators.pivot import PivotOptions
from bayling_data.options import build


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (CrosslingualOptions, {"hubs": ["xx"]}, "--hubs: unknown language 'xx'"),
        (CrosslingualOptions, {"hubs": []}, "--hubs: name at least one"),
        (CrosslingualOptions, {"crosslingual_mix": "a=b"}, "--crosslingual-mix: unknown kind 'a'"),
        (CrosslingualOptions, {"crosslingual_mix": "native=x"}, "weight of 'native' must be a number"),
        (CrosslingualOptions, {"crosslingual_mix": "native=-1"}, "must be 0 or more"),
        (CrosslingualOptions, {"crosslingual_mix": "native=0"}, "at least one weight must be positive"),
        (PivotOptions, {"pivot_lang": "klingon"}, "--pivot-lang: unknown language 'klingon'"),
    ],
)
def test_bad_options_are_refused_when_built(cls, values, message):
    with pytest.raises(ValueError, match=message):
        build(cls, values)


def test_good_options_build():
    assert build(CrosslingualOptions, {"hubs": ["en"], "crosslingual_mix": "native=1,cross"}).hubs == ["en"]
    assert build(PivotOptions, {"pivot_lang": "zh"}).pivot_lang == "zh"
