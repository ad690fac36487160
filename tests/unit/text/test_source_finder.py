"""Finding the text a translation request points at, in the ways corpora write it."""

from __future__ import annotations

import pytest

from bayling_data.text.source_finder import find_in_user_turn, is_translation_request, unquoted


@pytest.mark.parametrize(
    ("turn", "source", "how"),
    [
        ("Translate into German:\n\nThe server is down. Try again.", "The server is down. Try again.", "paragraphs"),
        ("Translate to German:\nLine one\nLine two", "Line one\nLine two", "paragraphs"),
        ("Hello there.\n\nTranslate the above into German.", "Hello there.", "paragraphs"),
        ("Translation Domain\n\nTranslate the above into Thai.", "Translation Domain", "paragraphs"),
        ("Translate into French: Error: file not found", "Error: file not found", "after_colon"),
        ("把下面的句子翻译成英文：今天天气很好", "今天天气很好", "after_colon"),
        ("Traduis en anglais : « Bonjour le monde »", "Bonjour le monde", "after_colon"),
        ('Translate "Tutorial: A Polling App" into Malayalam.', "Tutorial: A Polling App", "quoted"),
        ("Übersetze bitte ins Englische.\n```\nGuten Tag\n```", "Guten Tag", "block"),
        ("Переведи на английский:\nПривет, мир", "Привет, мир", "paragraphs"),
        (
            "Traduis en anglais : Usage:\n  tool [ARGS]\n\nCommands:\n  help",
            "Usage:\n  tool [ARGS]\n\nCommands:\n  help",
            "paragraphs",
        ),
    ],
)
def test_the_source_is_split_off_the_request(turn, source, how):
    found = find_in_user_turn(turn)
    assert found is not None
    assert (found.text, found.how) == (source, how)
    assert source not in found.request


def test_a_turn_that_asks_for_no_translation_has_no_source():
    assert find_in_user_turn("What is the capital of France?\n\nAnswer briefly.") is None
    assert not is_translation_request("Write a poem about spring.")


def test_a_request_with_no_text_to_point_at_has_no_source():
    assert is_translation_request("Übersetze bitte ins Deutsche")
    assert find_in_user_turn("Übersetze bitte ins Deutsche") is None


def test_quotes_around_the_whole_text_go():
    assert unquoted("“Hello”") == "Hello"
    assert unquoted('"a" and "b"') == '"a" and "b"'
    assert unquoted("“%s” is not a valid name: “%c”") == "“%s” is not a valid name: “%c”"
