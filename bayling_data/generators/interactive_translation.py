"""BayLing-style interactive translation: multi-turn dialogues that translate, refine, restyle, explain..."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from typing import Any, Optional

from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherGenerator, TeacherTurns
from bayling_data.generators.support.seeds import teacher_seed
from bayling_data.generators.support.user_turns import MODES, Intent, UserTurnWriter, resolve_mode
from bayling_data.generators.support.weights import parse_weights
from bayling_data.languages import Language, check_flag, get
from bayling_data.options import option
from bayling_data.records import Facts, Record, generated
from bayling_data.resources import render_prompt, templates
from bayling_data.stats import direction_key
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
HUBS = ("eng_Latn", "zho_Hans")  # BayLing 2's hub languages: an instruction language of every dialogue
ROUND_ROBIN_LENGTH = 120  # turn types in the planning sequence (a multiple of the default mix's 12)
STRIDE = 7  # offset between a record's follow-ups in that sequence (coprime to its length's factors 2, 3, 5)
MIN_SEED_SCRIPT_SHARE = 0.5  # a seed mostly in another script would make the whole dialogue wrong
PROMPTS = (
    "assistant_system",
    "seed_text",
    "propose_constraints",
    "propose_replacement",
    "propose_error",
    "propose_question",
    "write_user_turn",
)


def parse_turn_mix(spec: str | None) -> dict[str, float]:
    """`refine=2,restyle=1` -> weights of follow-up turn types (unnamed types get weight 0)."""
    if not spec:
        return dict(DEFAULT_MIX)
    return parse_weights(spec, FOLLOW_UPS, "--turn-mix", "turn type")


@dataclass
class Dialogue:
    """The state of one dialogue while it is built."""

    src: Language
    tgt: Language
    instr: Language
    source_text: str
    language_names: dict[str, str]
    messages: list[dict[str, str]] = field(default_factory=list)
    turn_langs: list[str | None] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    template_ids: list[str] = field(default_factory=list)
    writers: list[str] = field(default_factory=list)
    constraints: list[dict[str, Any]] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)
    current: str = ""  # the latest translation
    current_lang: Language | None = None

    def name(self, lang: Language) -> str:
        """A language's name as the instruction language writes it."""
        return self.language_names.get(lang.code) or lang.name_in(self.instr.code)


@dataclass
class InteractiveTranslationOptions:
    """Options of the interactive_translation generator."""

    turn_mix: Optional[str] = option(None, "follow-up turn weights, e.g. refine=2,restyle=1,explain=1")
    min_turns: int = option(1, "fewest user/assistant turn pairs per dialogue", low=1, high=20)
    max_turns: int = option(5, "most user/assistant turn pairs per dialogue", low=1, high=20)
    instruction_langs: Optional[list[str]] = option(
        None, "languages the user side is written in (default: each dialogue's source or target, or a hub)"
    )
    user_turns: str = option(
        "auto",
        "who writes the user turns: template, teacher, mix (auto: mix, but template with the embedded or mock teacher)",
        choices=MODES,
    )
    turn_checks: bool = option(
        True, "check each turn as it arrives and end a failing dialogue there (off: check finished dialogues only)"
    )

    def validate(self) -> None:
        """The turn mix, the turn range and the instruction languages (ValueError naming the flag)."""
        parse_turn_mix(self.turn_mix)
        if not self.min_turns <= self.max_turns:
            raise ValueError("need --min-turns <= --max-turns")
        check_flag("--instruction-langs", [code for code in self.instruction_langs or [] if code != "auto"])


class InteractiveTranslation(TeacherGenerator):
    """Generator `interactive_translation`: 1 to 5 user/assistant turn pairs about one translation.

    Each turn pair is checked by the run's cheap filters as it arrives: a dialogue whose first translation
    fails ends at once, and one whose later turn fails ends before it (kept when it still has
    --min-turns), so no request is spent on what would be thrown away.
    """

    name = NAME
    Options = InteractiveTranslationOptions
    PROMPTS = PROMPTS

    def __init__(self, context: GenerationContext) -> None:
        super().__init__(context)
        options: InteractiveTranslationOptions = context.options
        options.validate()
        self.mix = parse_turn_mix(options.turn_mix)
        self.min_turns, self.max_turns = options.min_turns, options.max_turns
        teacher = context.teacher
        mode = resolve_mode(options.user_turns, teacher.embedded or teacher.model.startswith("mock"))
        self.users = UserTurnWriter(mode, templates(NAME), context.checks)
        chosen = [c for c in options.instruction_langs or [] if c != "auto"]
        self.instruction_langs = [get(c).code for c in chosen]
        missing = [c for c in self.instruction_langs if mode == "template" and not self.users.has_templates(c)]
        if missing:
            raise ValueError(
                f"no templates for instruction language(s) {missing} (have {sorted(self.users.phrasings)}):"
                " use --user-turns teacher or mix to have the teacher write them"
            )

    def _instruction_lang(self, src: Language, tgt: Language, rng: random.Random) -> Language:
        """The chosen languages in turn, or the dialogue's source, its target or a hub (templates only
        where the teacher writes none)."""
        if self.instruction_langs:
            return get(rng.choice(self.instruction_langs))
        candidates = {lang.code: weight for lang, weight in ((src, 2.0), (tgt, 2.0))}
        for hub in HUBS:
            candidates.setdefault(hub, 1.0)
        if self.users.mode == "template":
            candidates = {c: w for c, w in candidates.items() if self.users.has_templates(c)}
        codes = sorted(candidates)
        return get(rng.choices(codes, weights=[candidates[c] for c in codes])[0])

    def _plan(self, index: int, rng: random.Random, can_switch: bool) -> list[str]:
        """The turn types of record `index`: its follow-up number j is item `round + STRIDE * j` of a
        smooth weighted round robin over the mix, where `round` counts the records of its direction, so
        every follow-up position of every direction cycles through the mix exactly, record after record
        (balanced over a run, also across shards and retries), and one record rarely asks for the same
        type twice."""
        turns = rng.randint(self.min_turns, self.max_turns)
        kinds = [k for k in FOLLOW_UPS if self.mix[k] > 0 and (k != "switch_target" or can_switch)]
        if not kinds:
            return ["translate"]
        sequence = _round_robin(tuple((k, self.mix[k]) for k in kinds))
        round_ = index // len(self.context.directions)
        return ["translate", *(sequence[(round_ + STRIDE * j) % len(sequence)] for j in range(turns - 1))]

    def planned_shares(self) -> dict[str, dict[str, float]]:
        """Shares of the kept records planned per instruction language (drawn evenly from --instruction-langs;
        none otherwise: then a dialogue's own languages and the hubs are drawn by weight)."""
        if not self.instruction_langs:
            return {}
        return {"instruction_lang": {code: 1 / len(self.instruction_langs) for code in self.instruction_langs}}

    def planned(self, index: int, seed: SeedItem) -> dict[str, str]:
        """What record `index` is planned to be, as the run's stats name it (its direction)."""
        src, tgt = self._direction(index, seed)
        return {"direction": direction_key(src.code, tgt.code)}

    def _direction(self, index: int, seed: SeedItem) -> tuple[Language, Language]:
        directions = self.context.directions
        if seed.lang is not None:
            matching = [d for d in directions if d[0].code == seed.lang]
            if matching:
                return matching[index % len(matching)]
        return directions[index % len(directions)]

    async def make(self, index: int, seed: SeedItem, rng: random.Random, turns: TeacherTurns) -> Record | Rejection:
        """Build one dialogue, checking each turn pair as it arrives."""
        src, tgt = self._direction(index, seed)
        instr = self._instruction_lang(src, tgt, rng)
        others = [lang for lang in self.context.languages if lang not in (src, tgt)]
        plan = self._plan(index, rng, can_switch=bool(others))
        seed_info: dict[str, Any] = {"origin": seed.origin}
        if seed.text is not None:
            text = seed.text
        else:
            text, asked = await teacher_seed(turns, src, rng)
            seed_info.update(asked)
        if not text:
            return Rejection("empty_seed", retry=seed.text is None)
        share = script_share(text, src.script)
        if share is not None and share < MIN_SEED_SCRIPT_SHARE:
            return Rejection(f"seed_wrong_script:{src.code}", retry=seed.text is None)
        names = self.users.phrasings.get(instr.code, {}).get("language_names", {})
        dialogue = Dialogue(src, tgt, instr, text, names)
        passed: Record | None = None  # the dialogue as it last passed the checks, with their signals
        for kind in plan:
            turns_before = len(dialogue.plan)
            unwritten = await self._turn(kind, dialogue, turns, rng, others)
            probe = self._record(dialogue, seed_info)  # what the filters see (and record their signals in)
            failure = unwritten or self._check(probe)
            if failure is None:
                passed = probe
                continue
            if turns_before < self.min_turns or passed is None:  # too few turns before this one: it is lost
                return Rejection(failure, record=probe, by_filter=unwritten is None)
            passed.meta["cut_short"] = {"planned_turns": len(plan), "reason": failure, "planned": plan}
            return passed  # the dialogue before the turn that failed
        return probe

    def _check(self, probe: Record) -> str | None:
        """The run's cheap filters on the dialogue so far (None: it passes, or the run has no filters). The chain
        remembers what passed: it does not look at the finished record again with those steps."""
        checks = self.context.checks
        if checks is None or not self.context.options.turn_checks:
            return None
        return checks.check_turns(probe)

    def _record(self, d: Dialogue, seed_info: dict[str, Any]) -> Record:
        facts = Facts(
            plan=list(d.plan),
            turn_langs=list(d.turn_langs),
            finish_reasons=list(d.finish_reasons),
            source_text=d.source_text,
            instruction_lang=d.instr.code,
            constraints=list(d.constraints),
        )
        task = "translate" if len(d.plan) == 1 else NAME
        own = {"templates": list(d.template_ids), "user_turn_writers": list(d.writers), "seed": seed_info}
        return generated(task, NAME, d.src.code, d.tgt.code, d.messages, facts, **own)

    async def _user(
        self,
        d: Dialogue,
        turns: TeacherTurns,
        rng: random.Random,
        kind: str,
        key: str,
        lang: str | None,
        required: list[str],
        **values: str,
    ) -> str | None:
        """Add the user turn of type `kind` asking for `key` (a template key) with the `required` strings
        in it; returns why not when none could be written."""
        values = {"src": d.name(d.src), "tgt": d.name(d.current_lang or d.tgt), **values}
        intent = Intent(key, values, required, d.source_text if key == "translate" else None)
        written = await self.users.write(intent, d.instr, turns, rng, [d.current] if d.current else [])
        if isinstance(written, str):
            return written
        d.messages.append({"role": "user", "content": written.text})
        d.template_ids.append(written.template_id)
        d.writers.append(written.writer)
        d.turn_langs.append(lang)
        d.plan.append(kind)
        return None

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
    ) -> str | None:
        """Add one user/assistant turn pair of type `kind` (or of a fallback type when the teacher proposed
        nothing checkable); returns why not when its user turn could not be written."""
        instr = d.instr.code
        if kind == "translate":
            if unwritten := await self._user(d, turns, rng, kind, "translate", None, [d.name(d.tgt)]):
                return unwritten
            d.current_lang = d.tgt
            d.current = await self._assistant(d, turns, "translate", d.tgt)
            return None
        lang = d.current_lang or d.tgt
        if kind == "refine":
            refined = await self._refine(d, turns, rng, lang)
            if refined is not False:
                return refined
        if kind == "correct_error":
            proposal = await self._propose(turns, "propose_error", lang=lang, translation=d.current)
            wrong = str(proposal.get("wrong", "")).strip()
            if wrong and wrong in d.current and len(wrong) < len(d.current):
                if unwritten := await self._user(d, turns, rng, kind, "correct_error", instr, [wrong], wrong=wrong):
                    return unwritten
                before = d.current
                d.current = await self._assistant(d, turns, "correct_error", lang)
                d.constraints.append(
                    {"turn": len(d.plan) - 1, "kind": "correct_error", "wrong": wrong, "changed": d.current != before}
                )
                return None
            kind = "restyle"  # the teacher found nothing checkable to point at
        if kind == "content_question":
            proposal = await self._propose(turns, "propose_question", lang=d.instr, text=d.source_text)
            question = str(proposal.get("question", "")).strip()
            if question and len(question) < 300:
                if unwritten := await self._user(d, turns, rng, kind, "content_question", instr, [], question=question):
                    return unwritten
                await self._assistant(d, turns, "explain", d.instr)
                return None
            kind = "restyle"
        if kind == "switch_target" and others:
            new = rng.choice(others)
            if unwritten := await self._user(
                d, turns, rng, kind, "switch_target", instr, [d.name(new)], new_tgt=d.name(new)
            ):
                return unwritten
            d.current_lang = new
            d.current = await self._assistant(d, turns, "translate", new)
            return None
        if kind == "back_translate":
            if unwritten := await self._user(d, turns, rng, kind, "back_translate", instr, [d.name(d.src)]):
                return unwritten
            await self._assistant(d, turns, "back_translate", None)
            return None
        if kind == "explain":
            if unwritten := await self._user(d, turns, rng, kind, f"explain.{rng.choice(ASPECTS)}", instr, []):
                return unwritten
            await self._assistant(d, turns, "explain", d.instr)
            return None
        style = rng.choice(STYLES)
        if unwritten := await self._user(d, turns, rng, "restyle", f"restyle.{style}", instr, []):
            return unwritten
        before = d.current
        d.current = await self._assistant(d, turns, "restyle", lang)
        d.constraints.append({"turn": len(d.plan) - 1, "kind": f"restyle.{style}", "changed": d.current != before})
        return None

    async def _refine(self, d: Dialogue, turns: TeacherTurns, rng: random.Random, lang: Language) -> str | bool | None:
        """A refine turn with checkable constraints: None when added, why not when its user turn could not
        be written, False when the teacher proposed nothing usable."""
        separator = self.users.phrasings.get(d.instr.code, {}).get("word_separator", ", ")
        if rng.random() < 0.5:
            proposal = await self._propose(turns, "propose_constraints", lang=lang, translation=d.current)
            words = [str(w).strip() for w in proposal.get("words", [])][:3]
            words = [w for w in words if _usable_word(w, lang)]
            if not words:
                return False
            if unwritten := await self._user(
                d, turns, rng, "refine", "refine.include", d.instr.code, words, words=separator.join(words)
            ):
                return unwritten
            d.current = await self._assistant(d, turns, "refine", lang, must_include=words)
            kind, replaced = "include", None
        else:
            proposal = await self._propose(turns, "propose_replacement", lang=lang, translation=d.current)
            old, new = str(proposal.get("replace", "")).strip(), str(proposal.get("with", "")).strip()
            if old == new or old not in d.current or not _usable_word(old, lang) or not _usable_word(new, lang):
                return False
            if unwritten := await self._user(
                d, turns, rng, "refine", "refine.replace", d.instr.code, [old, new], old=old, new=new
            ):
                return unwritten
            d.current = await self._assistant(d, turns, "refine", lang, must_include=[new])
            words, kind, replaced = [new], "replace", old
        found = [w.casefold() in d.current.casefold() for w in words]
        constraint = {
            "turn": len(d.plan) - 1,
            "kind": kind,
            "words": words,
            "satisfied": found,
            "all_satisfied": all(found),
        }
        if replaced is not None:
            constraint["replaced"] = replaced
        d.constraints.append(constraint)
        return None


@functools.cache
def _round_robin(weights: tuple[tuple[str, float], ...]) -> tuple[str, ...]:
    """Smooth weighted round robin over (kind, weight) pairs: a sequence in which every stretch holds each
    kind in proportion to its weight (within one), and kinds of one weight are spread out, not bunched."""
    current = dict.fromkeys((k for k, _ in weights), 0.0)
    total = sum(w for _, w in weights)
    picks = []
    for _ in range(ROUND_ROBIN_LENGTH):
        for kind, weight in weights:
            current[kind] += weight
        chosen = max(current, key=lambda k: current[k])
        current[chosen] -= total
        picks.append(chosen)
    return tuple(picks)


def _usable_word(word: str, lang: Language) -> bool:
    """A proposed constraint word: short, has letters, and is written in the target's script."""
    if not word or len(word) > 40 or not any(ch.isalpha() for ch in word):
        return False
    share = script_share(word, lang.script)
    return share is None or share >= 0.5
