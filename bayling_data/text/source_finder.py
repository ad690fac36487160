"""The source of a translation record as corpora hold it: inside the user turn, after the request.

Imported corpora rarely say what a translation translates. An Alpaca row keeps it in `input`; a chat
row writes it into the user turn after the request ("Translate into German:\\n\\n<text>", "把下面的句子
翻译成英文：<text>", "Traduis « <text> » en anglais"). This module recognises a translation request in
many instruction languages and splits the turn into the request and the text it points at: a code
block, the paragraphs apart from the request's, the rest of the line after its colon, or a quoted span.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bayling_data import languages

# Words for "translate" / "translation" in the instruction languages corpora are written in (stems:
# "tradu" covers traduis, traduce, tradução, tradurre, tradueix; "übersetz" übersetze, Übersetzung).
TRANSLATE_WORDS = re.compile(
    r"translat|übersetz|uebersetz|tradu|vertaal|vertaling|översätt|oversæt|overs[æe]tt|þýð|käännä|käännös"
    r"|tõlgi|tõlki|fordíts|fordít|tłumacz|přelož|prelož|prevedi|prevod|перевед|перевод|переведи|переклад"
    r"|перакла|преведи|превод|преведе|çevir|tercüme|tərcümə|μετάφρασ|μεταφράσ|ترجم|תרגמ|תרגם|תרגום"
    r"|अनुवाद|অনুবাদ|ਅਨੁਵਾਦ|અનુવાદ|ଅନୁବାଦ|மொழிபெயர்|అనువద|అనువాద|ಅನುವಾದ|വിവർത്തന|പരിഭാഷ|පරිවර්තන"
    r"|แปล|ແປ|បកប្រែ|ဘာသာပြန်|dịch|terjemah|isalin|tafsiri|fassara|humusha|guqulela|turjun|traduk"
    r"|itzul|cyfieith|aistrigh|tulko|išvers|vertim|тарҷума|аудар|tarjim|орчуул|თარგმნ|թարգման|ትርጉም|ተርጉም"
    r"|翻译|翻譯|译成|譯成|翻訳|訳して|訳す|번역",
    re.IGNORECASE,
)
REQUEST_MAX_CHARS = 400  # a request is a line or two; a longer paragraph is text to translate
CODE_BLOCK = re.compile(r"```[^\n`]*\n(.*?)\n?```", re.DOTALL)
# A colon that introduces the text: ASCII, full-width, Arabic-script and Ethiopic forms.
COLON = re.compile(r"[:：]\s*")
QUOTE_PAIRS = {'"': '"', "“": "”", "„": "“", "«": "»", "「": "」", "『": "』", "‘": "’", "'": "'", "‹": "›"}
# Quoted spans ("...", “...”, „...“, «...», 「...」), each opened and closed by one character.
QUOTED = re.compile(r'"[^"\n]*"|“[^”\n]*”|„[^“”\n]*[“”]|«[^»\n]*»|「[^」\n]*」|『[^』\n]*』')


@dataclass(frozen=True)
class FoundSource:
    """The text a translation request points at, how it was found, and the request without it."""

    text: str
    how: str  # input (Alpaca), field (--source-field), block, paragraphs, after_colon, quoted
    request: str


def is_translation_request(text: str) -> bool:
    """True when `text` asks for a translation (a word for translating, in one of many languages)."""
    return bool(TRANSLATE_WORDS.search(text))


def find_in_user_turn(turn: str) -> FoundSource | None:
    """The source inside a user turn that asks for a translation, or None (no request, or no text found)."""
    turn = turn.strip()
    if not is_translation_request(turn):
        return None
    return _in_code_block(turn) or _in_paragraphs(turn) or _after_colon(turn) or _in_quotes(turn)


def unquoted(text: str) -> str:
    """`text` without one pair of quotes around the whole of it (not `“a” and “b”`: two quoted spans)."""
    text = text.strip()
    if len(text) >= 2 and QUOTE_PAIRS.get(text[0]) == text[-1]:
        inner = text[1:-1]
        if text[0] not in inner and text[-1] not in inner:
            return inner.strip()
    return text


def _found(text: str, how: str, request: str) -> FoundSource | None:
    text = unquoted(text)
    return FoundSource(text, how, request.strip()) if text else None


def _in_code_block(turn: str) -> FoundSource | None:
    match = CODE_BLOCK.search(turn)
    if match is None:
        return None
    request = turn[: match.start()] + turn[match.end() :]
    return _found(match.group(1), "block", request) if is_translation_request(request) else None


def _in_paragraphs(turn: str) -> FoundSource | None:
    """The request is the first or the last block of lines (short, and asking to translate); the rest of
    the turn, as it is written, is the text. Blocks are split at blank lines when there are any, else at
    line breaks. When both ask to translate ("Translation Domain\n\nTranslate the above into Thai."), the
    request is the one that ends in a colon, else the one naming a language, else the first."""
    separators = list(re.finditer(r"\n\s*\n", turn)) or list(re.finditer(r"\n", turn))
    if not separators:
        return None
    first, rest = turn[: separators[0].end()].strip(), turn[separators[0].end() :]
    head, last = turn[: separators[-1].start()], turn[separators[-1].end() :].strip()
    first_asks, last_asks = (len(b) <= REQUEST_MAX_CHARS and is_translation_request(b) for b in (first, last))
    if first_asks and last_asks and not first.endswith((":", "：")):
        first_asks = _names_a_language(first) or not _names_a_language(last)
    if first_asks:
        inline = _after_colon(turn)  # "Translate into German: Hello" followed by more lines of text
        if inline is not None and len(inline.request) < len(first):
            return _found(inline.text, "paragraphs", inline.request)
        return _found(rest, "paragraphs", first)
    return _found(head, "paragraphs", last) if last_asks else None


@functools.cache
def _language_names() -> frozenset[str]:
    """English and native names of the registry's languages, case-folded (names of four letters or more)."""
    names = {name.casefold() for lang in languages.all_languages() for name in (lang.name, lang.native) if name}
    return frozenset(name for name in names if len(name) >= 4)


def _names_a_language(text: str) -> bool:
    folded = text.casefold()
    return any(word in _language_names() for word in re.findall(r"\w+", folded))


def _after_colon(line: str) -> FoundSource | None:
    """ "Translate into French: Hello" (the first colon after the request word that no quotes enclose)."""
    request_word = TRANSLATE_WORDS.search(line)
    if request_word is None:
        return None
    quoted = [(m.start(), m.end()) for m in QUOTED.finditer(line)]
    for colon in COLON.finditer(line, request_word.end()):
        if any(start < colon.start() < end for start, end in quoted):
            continue
        if not line[colon.end() :].strip():
            return None
        return _found(line[colon.end() :], "after_colon", line[: colon.start()])
    return None


def _in_quotes(turn: str) -> FoundSource | None:
    """`Translate "Hello" into French`: the longest quoted span."""
    spans = [(m.start(), m.end(), m.group()[1:-1].strip()) for m in QUOTED.finditer(turn)]
    spans = [span for span in spans if span[2]]
    if not spans:
        return None
    start, end, text = max(spans, key=lambda span: len(span[2]))
    return _found(text, "quoted", turn[:start] + turn[end:])
