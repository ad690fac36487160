from __future__ import annotations

import pytest

from bayling_data.text.answers import clean_answer


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Here is the translation: Der Zug fährt.", "Der Zug fährt."),
        ('"Der Zug fährt."', "Der Zug fährt."),
        ("English: The train leaves.", "The train leaves."),
        ("以下是翻译：火车开了。", "火车开了。"),
        ("Note: the train leaves at six.", "Note: the train leaves at six."),  # not a language label
        ("Der Zug fährt.", "Der Zug fährt."),
    ],
)
def test_clean_answer(raw, clean):
    assert clean_answer(raw) == clean
