"""The user side of an interactive-translation dialogue: from hand-checked templates, or written by the
teacher from the turn's intent (in any instruction language) and checked in code before it is used."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

from bayling_data.filters.base import FilterChain
from bayling_data.generators.base import TeacherTurns
from bayling_data.languages import Language
from bayling_data.records import Record
from bayling_data.resources import render_prompt

MODES = ("auto", "template", "teacher", "mix")
MAX_CHARS = 400  # a request, not a text: longer is the teacher answering or rambling
REGISTERS = (
    "terse, a few words, no greeting",
    "polite, with please and thanks",
    "casual, like a chat message to a colleague",
    "gives a short reason (who will read the text, or why it matters)",
    "adds a little context about where the text will be used",
    "asks it as a question",
    "direct, in the imperative",
    "a bit in a hurry",
    "friendly and chatty, two short sentences",
    "formal, as in a work e-mail",
)
# What the user wants, for the teacher, by template key (placeholders as in the templates).
INTENTS = {
    "translate": "get a text translated from {src} into {tgt}",
    "refine.include": "have the translation revised so that it uses these words: {words}",
    "refine.replace": 'have "{old}" replaced by "{new}" in the translation',
    "restyle.formal": "have the translation rewritten in a more formal register",
    "restyle.casual": "have the translation rewritten more casually, as said to a friend",
    "restyle.concise": "have the translation made shorter and more concise",
    "restyle.expanded": "have the translation expanded with a little more detail",
    "restyle.children": "have the translation rewritten so that a young child understands it",
    "restyle.academic": "have the translation rewritten in an academic style",
    "restyle.poetic": "have the translation rewritten in a more poetic style",
    "restyle.headline": "have the translation turned into a short headline",
    "explain.word_choice": "know why the translation chose its words",
    "explain.grammar": "have the grammar of the translation explained",
    "explain.idioms": "know how idioms or set phrases were handled in the translation",
    "explain.culture": "know about cultural points that mattered in the translation",
    "explain.alternatives": "see other possible ways to translate it",
    "back_translate": "have the translation translated back into {src} and compared with the original",
    "switch_target": "get the same text translated into {new_tgt} instead",
    "correct_error": 'point out that "{wrong}" in the translation is wrong and have it fixed',
}
TRIES_WITHOUT_TEMPLATE = 2  # a language without templates has nothing to fall back on: one more try
WORD = re.compile(r"\w+")


@dataclass
class Intent:
    """What one user turn must ask: its template key, the values of its placeholders, and the strings it
    must carry (constraint words, the wrong word, a language name)."""

    key: str
    values: dict[str, str]
    required: list[str] = field(default_factory=list)
    attached: str | None = None  # text the app puts after the request (the source text to translate)


@dataclass
class UserTurn:
    """A written user turn, who wrote it (`template`, `teacher`, `fallback:<why the teacher's failed>`),
    and the template id (or `teacher`)."""

    text: str
    writer: str
    template_id: str


def resolve_mode(mode: str, small_teacher: bool) -> str:
    """`auto`: templates for the embedded or mock teacher (a small model writes poor requests), else a mix."""
    return ("template" if small_teacher else "mix") if mode == "auto" else mode


class UserTurnWriter:
    """Writes the user turns of one generator run."""

    def __init__(self, mode: str, phrasings: dict[str, dict], checks: FilterChain | None) -> None:
        self.mode, self.phrasings, self.checks = mode, phrasings, checks

    def has_templates(self, lang: str) -> bool:
        """True when hand-checked phrasings exist for instruction language `lang`."""
        return lang in self.phrasings

    async def write(
        self, intent: Intent, instr: Language, turns: TeacherTurns, rng: random.Random, avoid: list[str]
    ) -> UserTurn | str:
        """The user turn for `intent` in `instr`, or why none could be written. `avoid`: texts a request
        must not contain (the translation so far, the source text), lest the user answer itself."""
        templated = self.has_templates(instr.code)
        by_teacher = not templated or self.mode == "teacher" or (self.mode == "mix" and rng.random() < 0.5)
        why = ""
        if by_teacher:
            for _ in range(1 if templated else TRIES_WITHOUT_TEMPLATE):
                text = await self._ask(intent, instr, turns, rng)
                why = self.problem(text, intent, instr, avoid)
                if not why:
                    return UserTurn(_attach(text, intent.attached, rng), "teacher", "teacher")
            if not templated:
                return f"user_turn:{why}"
        text, template_id = self._template(intent, instr.code, rng)
        return UserTurn(text, f"fallback:{why}" if why else "template", template_id)

    def _template(self, intent: Intent, lang: str, rng: random.Random) -> tuple[str, str]:
        options = self.phrasings[lang].get(intent.key) or self.phrasings["eng_Latn"][intent.key]
        template_id = rng.choice(sorted(options))
        return options[template_id].format(**intent.values, text=intent.attached or ""), template_id

    async def _ask(self, intent: Intent, instr: Language, turns: TeacherTurns, rng: random.Random) -> str:
        if intent.key not in INTENTS:  # a content question: the teacher wrote it already, in `instr`
            return intent.values["question"]
        prompt = render_prompt(
            "write_user_turn",
            lang=instr,
            intent=INTENTS[intent.key].format(**intent.values),
            register=rng.choice(REGISTERS),
            attached=intent.attached is not None,
            required=intent.required,
        )
        reply = await turns.ask([{"role": "user", "content": prompt}], max_tokens=120)
        return _unwrap(reply.content)

    def problem(self, text: str, intent: Intent, instr: Language, avoid: list[str]) -> str:
        """Why a teacher-written user turn cannot be used ("" when it can)."""
        if not text:
            return "empty"
        if len(text) > MAX_CHARS:
            return "too_long"
        folded = text.casefold()
        if any(not _carries(folded, required.casefold()) for required in intent.required):
            return "missing_required"
        if any(len(other) >= 12 and other[:40].casefold() in folded for other in avoid):
            return "answers_itself"
        if self.checks is not None:
            rest = text
            for required in intent.required:  # words of another language the turn must quote
                rest = rest.replace(required, " ")
            probe = Record("user_turn", "", instr.code, instr.code, [{"role": "user", "content": rest}])
            probe.meta["turn_langs"] = [instr.code]
            if self.checks.check_turns(probe, only="langid"):
                return "wrong_language"
        return ""


def _carries(folded: str, required: str) -> bool:
    """True when the turn carries `required`; a language name may be inflected (German ins Deutsche,
    Russian на немецкий), so a name's stem (its first 70%, at least 3 characters) is enough."""
    if required in folded:
        return True
    if len(WORD.findall(required)) != 1:
        return False
    return required[: max(3, math.ceil(len(required) * 0.7))] in folded


def _unwrap(text: str) -> str:
    """The message without the quotes or a `User:` label a model puts around it."""
    text = text.strip()
    if ":" in text[:12] and text.split(":", 1)[0].strip().casefold() in {"user", "message", "usuario", "用户"}:
        text = text.split(":", 1)[1].strip()
    if len(text) > 1 and text[0] in "\"'“«「" and text[-1] in "\"'”»」":
        text = text[1:-1].strip()
    return text


def _attach(request: str, attached: str | None, rng: random.Random) -> str:
    """The request with the text it is about after it (or, sometimes, before it)."""
    if attached is None:
        return request
    if rng.random() < 0.2:
        return f"{attached}\n\n{request}"
    return request + rng.choice(("\n\n", "\n", " ")) + attached
