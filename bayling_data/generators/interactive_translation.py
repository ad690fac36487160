"""BayLing-style interactive translation: multi-turn dialogues that translate, refine, restyle, explain..."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Optional

from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherGenerator, TeacherTurns
from bayling_data.generators.seeds import teacher_seed
from bayling_data.languages import Language, get
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.resources import render_prompt, templates
from bayling_data.text.answers import clean_answer, extract_json
from bayling_data.text.script import script_share

NAME = "interactive_translation"
FOLLOW_UPS = ("refine", "restyle", "explain", "back_translate", "switch_target", "correct_error", "content_question")
TURN_TYPES = ("translate", *FOLLOW_UPS)
DEFAULT_MIX = {
    "refine": 3.0,
    "restyle": 3.0,
    "explain": 2.0,
    "back_translate": 1.0,
    "switch_target": 1.0,
    "correct_error": 1.0,
    "content_question": 1.0,
}
STYLES = ("formal", "casual", "concise", "expanded", "children", "academic", "poetic", "headline")
ASPECTS = ("word_choice", "grammar", "idioms", "culture", "alternatives")
PARAGRAPH_TURNS = frozenset({"translate", "refine", "restyle", "correct_error"})
MIN_SEED_SCRIPT_SHARE = 0.5  # a seed mostly in another script would make the whole dialogue wrong
PROMPTS = (
    "assistant_system",
    "seed_text",
    "propose_constraints",
    "propose_replacement",
    "propose_error",
    "propose_question",
)


def parse_turn_mix(spec: str | None) -> dict[str, float]:
    """`refine=2,restyle=1` -> weights of follow-up turn types (unnamed types get weight 0)."""
    if not spec:
        return dict(DEFAULT_MIX)
    mix = dict.fromkeys(FOLLOW_UPS, 0.0)
    for part in spec.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in FOLLOW_UPS:
            raise ValueError(f"--turn-mix: unknown turn type {name!r}; choose from {', '.join(FOLLOW_UPS)}")
        try:
            mix[name] = float(weight or 1)
        except ValueError:
            raise ValueError(f"--turn-mix: weight of {name!r} must be a number, got {weight!r}") from None
    if not any(mix.values()):
        raise ValueError("--turn-mix: at least one weight must be positive")
    return mix


@dataclass
class Dialogue:
    """The state of one dialogue while it is built."""

    src: Language
    tgt: Language
    instr: Language
    source_text: str
    phrasings: dict[str, Any]
    messages: list[dict[str, str]] = field(default_factory=list)
    turn_langs: list[str | None] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    template_ids: list[str] = field(default_factory=list)
    constraints: list[dict[str, Any]] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)
    current: str = ""  # the latest translation
    current_lang: Language | None = None

    def name(self, lang: Language) -> str:
        """A language's name as the instruction language writes it."""
        return self.phrasings.get("language_names", {}).get(lang.code) or lang.name_in(self.instr.code)


@dataclass
class InteractiveTranslationOptions:
    """Options of the interactive_translation generator."""

    turn_mix: Optional[str] = option(None, "follow-up turn weights, e.g. refine=2,restyle=1,explain=1")
    min_turns: int = option(1, "fewest user/assistant turn pairs per dialogue", low=1, high=20)
    max_turns: int = option(5, "most user/assistant turn pairs per dialogue", low=1, high=20)
    instruction_langs: Optional[list[str]] = option(None, "languages the user side may be written in")


class InteractiveTranslation(TeacherGenerator):
    """Generator `interactive_translation`: 1 to 5 user/assistant turn pairs about one translation."""

    name = NAME
    Options = InteractiveTranslationOptions
    PROMPTS = PROMPTS

    def __init__(self, context: GenerationContext) -> None:
        super().__init__(context)
        options: InteractiveTranslationOptions = context.options
        self.mix = parse_turn_mix(options.turn_mix)
        self.min_turns, self.max_turns = options.min_turns, options.max_turns
        if not self.min_turns <= self.max_turns:
            raise ValueError("need --min-turns <= --max-turns")
        self.phrasings = templates(NAME)
        chosen = options.instruction_langs
        codes = [lang.code for lang in context.languages]
        if chosen:
            self.instruction_langs = [get(c).code for c in chosen]
            missing = [c for c in self.instruction_langs if c not in self.phrasings]
            if missing:
                raise ValueError(f"no templates for instruction language(s) {missing}; have {sorted(self.phrasings)}")
        else:
            self.instruction_langs = [c for c in self.phrasings if c in codes] or ["eng_Latn", "zho_Hans"]

    def _plan(self, rng: random.Random, can_switch: bool) -> list[str]:
        turns = rng.randint(self.min_turns, self.max_turns)
        kinds = [k for k in FOLLOW_UPS if self.mix[k] > 0 and (k != "switch_target" or can_switch)]
        weights = [self.mix[k] for k in kinds]
        if not kinds:
            return ["translate"]
        return ["translate", *rng.choices(kinds, weights=weights, k=turns - 1)]

    def _direction(self, index: int, seed: SeedItem) -> tuple[Language, Language]:
        directions = self.context.directions
        if seed.lang is not None:
            matching = [d for d in directions if d[0].code == seed.lang]
            if matching:
                return matching[index % len(matching)]
        return directions[index % len(directions)]

    async def make(self, index: int, seed: SeedItem, rng: random.Random) -> tuple[Record | Rejection, TeacherTurns]:
        """Build one dialogue."""
        src, tgt = self._direction(index, seed)
        instr = get(rng.choice(self.instruction_langs))
        others = [lang for lang in self.context.languages if lang not in (src, tgt)]
        plan = self._plan(rng, can_switch=bool(others))
        turns = TeacherTurns(self.context, rng)
        seed_info: dict[str, Any] = {"origin": seed.origin}
        if seed.text is not None:
            text = seed.text
        else:
            text, asked = await teacher_seed(turns, src, rng)
            seed_info.update(asked)
        if not text:
            return Rejection("empty_seed"), turns
        share = script_share(text, src.script)
        if share is not None and share < MIN_SEED_SCRIPT_SHARE:
            return Rejection(f"seed_wrong_script:{src.code}"), turns
        dialogue = Dialogue(src, tgt, instr, text, self.phrasings[instr.code])
        for kind in plan:
            await self._turn(kind, dialogue, turns, rng, others)
        task = "translate" if len(dialogue.plan) == 1 else NAME
        meta = {
            "plan": dialogue.plan,
            "templates": dialogue.template_ids,
            "instruction_lang": instr.code,
            "seed": seed_info,
            "source_text": text,
            "constraints": dialogue.constraints,
            "turn_langs": dialogue.turn_langs,
            "finish_reasons": dialogue.finish_reasons,
        }
        return Record(task, NAME, src.code, tgt.code, dialogue.messages, meta=meta), turns

    def _user(self, dialogue: Dialogue, key: str, rng: random.Random, lang: str | None, **values: str) -> None:
        options = dialogue.phrasings.get(key) or self.phrasings["eng_Latn"][key]
        template_id = rng.choice(sorted(options))
        names = {"src": dialogue.name(dialogue.src), "tgt": dialogue.name(dialogue.current_lang or dialogue.tgt)}
        dialogue.messages.append({"role": "user", "content": options[template_id].format(**names, **values)})
        dialogue.template_ids.append(template_id)
        dialogue.turn_langs.append(lang)

    async def _assistant(
        self,
        dialogue: Dialogue,
        turns: TeacherTurns,
        turn: str,
        lang: Language | None,
        must_include: list[str] | None = None,
    ) -> str:
        system = render_prompt("assistant_system", turn=turn, lang=lang or dialogue.src, must_include=must_include)
        # A translation of a one-paragraph seed ends at the first blank line; what follows is commentary.
        stop = ["\n\n"] if turn in PARAGRAPH_TURNS else None
        reply = await turns.ask([{"role": "system", "content": system}, *dialogue.messages], stop=stop)
        content = clean_answer(reply.content) if turn != "explain" else reply.content.strip()
        dialogue.messages.append({"role": "assistant", "content": content})
        dialogue.finish_reasons.append(reply.finish_reason)
        dialogue.turn_langs.append(lang.code if lang else None)
        return content

    async def _propose(self, turns: TeacherTurns, prompt: str, **values: Any) -> dict[str, Any]:
        reply = await turns.ask(
            [{"role": "user", "content": render_prompt(prompt, **values)}], json_mode=True, max_tokens=128
        )
        return extract_json(reply.content) or {}

    async def _turn(
        self, kind: str, d: Dialogue, turns: TeacherTurns, rng: random.Random, others: list[Language]
    ) -> None:
        instr = d.instr.code
        if kind == "translate":
            self._user(d, "translate", rng, None, text=d.source_text)
            d.plan.append(kind)
            d.current_lang = d.tgt
            d.current = await self._assistant(d, turns, "translate", d.tgt)
            return
        lang = d.current_lang or d.tgt
        if kind == "refine" and await self._refine(d, turns, rng, lang):
            return
        if kind == "correct_error":
            proposal = await self._propose(turns, "propose_error", lang=lang, translation=d.current)
            wrong = str(proposal.get("wrong", "")).strip()
            if wrong and wrong in d.current and len(wrong) < len(d.current):
                self._user(d, "correct_error", rng, instr, wrong=wrong)
                d.plan.append(kind)
                before = d.current
                d.current = await self._assistant(d, turns, "correct_error", lang)
                d.constraints.append(
                    {"turn": len(d.plan) - 1, "kind": "correct_error", "wrong": wrong, "changed": d.current != before}
                )
                return
            kind = "restyle"  # the teacher found nothing checkable to point at
        if kind == "content_question":
            proposal = await self._propose(turns, "propose_question", lang=d.instr, text=d.source_text)
            question = str(proposal.get("question", "")).strip()
            if question and len(question) < 300:
                self._user(d, "content_question", rng, instr, question=question)
                d.plan.append(kind)
                await self._assistant(d, turns, "explain", d.instr)
                return
            kind = "restyle"
        if kind == "switch_target" and others:
            new = rng.choice(others)
            self._user(d, "switch_target", rng, instr, new_tgt=d.name(new))
            d.plan.append(kind)
            d.current_lang = new
            d.current = await self._assistant(d, turns, "translate", new)
            return
        if kind == "back_translate":
            self._user(d, "back_translate", rng, instr)
            d.plan.append(kind)
            await self._assistant(d, turns, "back_translate", None)
            return
        if kind == "explain":
            aspect = rng.choice(ASPECTS)
            self._user(d, f"explain.{aspect}", rng, instr)
            d.plan.append(kind)
            await self._assistant(d, turns, "explain", d.instr)
            return
        style = rng.choice(STYLES)
        self._user(d, f"restyle.{style}", rng, instr)
        d.plan.append("restyle")
        before = d.current
        d.current = await self._assistant(d, turns, "restyle", lang)
        d.constraints.append({"turn": len(d.plan) - 1, "kind": f"restyle.{style}", "changed": d.current != before})

    async def _refine(self, d: Dialogue, turns: TeacherTurns, rng: random.Random, lang: Language) -> bool:
        """A refine turn with checkable constraints; False when the teacher proposed nothing usable."""
        if rng.random() < 0.5:
            proposal = await self._propose(turns, "propose_constraints", lang=lang, translation=d.current)
            words = [str(w).strip() for w in proposal.get("words", [])][:3]
            words = [w for w in words if _usable_word(w, lang)]
            if not words:
                return False
            separator = d.phrasings.get("word_separator", ", ")
            self._user(d, "refine.include", rng, d.instr.code, words=separator.join(words))
            d.plan.append("refine")
            d.current = await self._assistant(d, turns, "refine", lang, must_include=words)
            found = [w.casefold() in d.current.casefold() for w in words]
            d.constraints.append(
                {
                    "turn": len(d.plan) - 1,
                    "kind": "include",
                    "words": words,
                    "satisfied": found,
                    "all_satisfied": all(found),
                }
            )
            return True
        proposal = await self._propose(turns, "propose_replacement", lang=lang, translation=d.current)
        old, new = str(proposal.get("replace", "")).strip(), str(proposal.get("with", "")).strip()
        if old == new or old not in d.current or not _usable_word(old, lang) or not _usable_word(new, lang):
            return False
        self._user(d, "refine.replace", rng, d.instr.code, old=old, new=new)
        d.plan.append("refine")
        d.current = await self._assistant(d, turns, "refine", lang, must_include=[new])
        found = [new.casefold() in d.current.casefold()]
        d.constraints.append(
            {
                "turn": len(d.plan) - 1,
                "kind": "replace",
                "words": [new],
                "replaced": old,
                "satisfied": found,
                "all_satisfied": all(found),
            }
        )
        return True


def _usable_word(word: str, lang: Language) -> bool:
    """A proposed constraint word: short, has letters, and is written in the target's script."""
    if not word or len(word) > 40 or not any(ch.isalpha() for ch in word):
        return False
    share = script_share(word, lang.script)
    return share is None or share >= 0.5
