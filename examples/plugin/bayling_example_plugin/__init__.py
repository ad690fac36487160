"""An example plugin: a generator and a filter step, found by bayling-data through entry points."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bayling_data.filters.base import Filter
from bayling_data.generators.base import GenerationContext, Rejection, SeedItem, TeacherTurns
from bayling_data.options import option
from bayling_data.records import Record
from bayling_data.teacher.errors import TeacherRequestFailed


@dataclass
class TopicQuestionsOptions:
    """The generator's own options: `generate --topic trains --question-styles how,why`."""

    topic: str = option("travel", "what the questions are about")
    question_styles: list[str] = option(["how", "why", "what"], "how the questions start")


class TopicQuestions:
    """Generator `topic_questions`: a user question about the topic, in each language of --langs, answered
    by the teacher."""

    name = "topic_questions"
    Options = TopicQuestionsOptions

    def __init__(self, context: GenerationContext) -> None:
        self.context = context
        self.options: TopicQuestionsOptions = context.options

    async def generate(self, index: int, seed: SeedItem, rng: random.Random) -> Record | Rejection:
        lang = self.context.languages[index % len(self.context.languages)]
        style = rng.choice(self.options.question_styles)
        question = f"Answer in {lang.name}, in two sentences: {style} is {self.options.topic} done where you live?"
        turns = TeacherTurns(self.context, rng)
        try:
            reply = await turns.ask([{"role": "user", "content": question}])
        except TeacherRequestFailed as failure:
            return Rejection(f"teacher:{failure.reason}")
        return Record(
            task="topic_question",
            generator=self.name,
            src_lang="eng_Latn",
            tgt_lang=lang.code,
            messages=[{"role": "user", "content": question}, {"role": "assistant", "content": reply.content}],
            meta={"topic": self.options.topic, "turn_langs": ["eng_Latn", lang.code], "usage": turns.usage()},
        )


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
