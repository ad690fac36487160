"""An example plugin: a generator and a filter step, found by bayling-data through entry points."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bayling_data.filters.base import Filter
from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherGenerator, TeacherTurns
from bayling_data.options import option
from bayling_data.records import Facts, Record, generated


@dataclass
class TopicQuestionsOptions:
    """The generator's own options: `generate --topic trains --question-styles how,why`."""

    topic: str = option("travel", "what the questions are about")
    question_styles: list[str] = option(["how", "why", "what"], "how the questions start")


class TopicQuestions(TeacherGenerator):
    """Generator `topic_questions`: a user question about the topic, in each language of --langs, answered
    by the teacher. The base class rejects a record whose request failed and adds the provenance."""

    name = "topic_questions"
    Options = TopicQuestionsOptions

    def __init__(self, context: GenerationContext) -> None:
        super().__init__(context)
        self.options: TopicQuestionsOptions = context.options

    async def make(self, index: int, seed: SeedItem, rng: random.Random, turns: TeacherTurns) -> Record | Rejection:
        lang = self.context.languages[index % len(self.context.languages)]
        style = rng.choice(self.options.question_styles)
        question = f"Answer in {lang.name}, in two sentences: {style} is {self.options.topic} done where you live?"
        reply = await turns.ask([{"role": "user", "content": question}])
        # the facts the filters read (turn types, languages per message, finish reasons), then meta of its own
        facts = Facts(plan=["question"], turn_langs=["eng_Latn", lang.code], finish_reasons=[reply.finish_reason])
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": reply.content}]
        return generated("topic_question", self.name, "eng_Latn", lang.code, messages, facts, topic=self.options.topic)


class MinAnswerWords(Filter):
    """Filter step `min_answer_words`: rejects a record whose shortest answer has too few words."""

    name = "min_answer_words"
    order = 85  # after the cheap quality checks, before language ID

    @dataclass
    class Options:
        min_answer_words: int = option(3, "fewest words an answer may have", low=1, high=10_000)

    def check(self, record: Record) -> str | None:
        shortest = min((len(answer.split()) for answer in record.turns("assistant")), default=0)
        record.scores["answer_words"] = shortest
        return "too_few_words" if shortest < self.options.min_answer_words else None
