"""A deterministic OpenAI-compatible server for tests, benchmarks and dry runs (no model behind it).

It answers chat completions with text in the language the prompt asks for ("Output language:
NAME (CODE)"), derived from a hash of the request, so the same request always gets the same
answer; 10% of answers miss the words they must include, and 5% of the user turns it writes are in
the wrong language (so that code checking a teacher's answers sees both kinds). It can add latency,
inject faults and rate limits, and counts what it served (`GET /_stats`).
It also serves the files and batches endpoints of the Batch API.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import random
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

# Words common enough that a language identifier recognises even shuffled text.
VOCABULARY: dict[str, list[str]] = {
    "eng_Latn": """
        the of and to in is that it was for on are with as his they be at one have this from by hot word but
        what some we can out other were all there when up use your how said an each she which do their time
        if will way about many then them write would like so these her long make thing see him two has look
        more day could go come did number sound no most people my over know water than call first who may
        down side been now find
    """.split(),
    "deu_Latn": """
        der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden
        aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur
        oder aber vor zur bis mehr durch man sein wurde sei Haus Wasser Stadt Zeit Jahr Menschen immer heute
        schon gesagt wieder zwischen
    """.split(),
    "swh_Latn": """
        na ya wa kwa ni la za katika kuwa hii kama lakini watu sana moja mimi wewe yeye sisi nyumba maji
        chakula mtoto shule kazi siku leo kesho jana habari nzuri asante karibu rafiki mji nchi serikali
        mwaka wakati kubwa ndogo tena pia sasa bado
    """.split(),
    "fra_Latn": """
        le de un être et à il avoir ne je son que se qui ce dans en du elle au pour pas vous par sur faire
        plus dire me on mon lui nous comme mais pouvoir avec tout aller voir bien où sans tu ou leur homme
        si deux mari moi vouloir te femme venir quand grand celui notre devoir là jour prendre même votre
        rien petit encore aussi
    """.split(),
    "spa_Latn": """
        el la de que y a en un ser se no haber por con su para como estar tener le lo todo pero más hacer o
        poder decir este ir otro ese si me ya ver porque dar cuando muy sin vez mucho saber qué sobre mi
        alguno mismo también hasta año dos querer entre así primero desde grande eso ni nos llegar pasar
        tiempo ella sí día uno bien
    """.split(),
    "rus_Cyrl": """
        и в не на я быть он с что а по это она этот к но они мы как из у который то за свой что весь год от
        так о для ты же все тот мочь вы человек такой его сказать только или ещё бы себя один как уже до
        время если сам когда другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень
    """.split(),
    "zho_Hans": list(
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
        "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
        "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
        "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
        "条只没结解问意建月公无系军很情者"
    ),
    "jpn_Jpan": """
        の に は を た が で て と し れ さ あ る い う か な も の こ と も す る こ と が で ま し
        日 本 語 今 天 気 私 東京 電車 学校 先生 友達 時間 今日 明日 天気
    """.split(),
    "kor_Hang": """
        그 이 저 것 수 있다 하다 없다 되다 사람 우리 한국 말 때 일 년 집 나라 세계 생각
        문제 사회 경제 정부 오늘 내일 학교 친구 시간
    """.split(),
    "arb_Arab": """
        في من على أن إلى عن مع هذا هذه التي الذي كان كانت قد لا ما هو هي بين كل بعد عند حيث ذلك أو ثم يوم
        عام الناس الماء المدينة الوقت البيت العالم اليوم
    """.split(),
}
FALLBACK = "eng_Latn"
OUTPUT_LANGUAGE = re.compile(r"Output language:[^\n]*\((\w{3}_\w{4})\)")
MUST_INCLUDE = re.compile(r"Must include: (.+)")
TASK = re.compile(r"Task: ([\w ]+)")
DELIMITED = re.compile(r"<<<\n?(.*?)\n?>>>", re.S)


# Letters per script, for pseudo-words in languages without a vocabulary above.
ALPHABETS = {
    "Latn": "aeioubcdfghklmnprstvyz",
    "Cyrl": "аеиоубвгдклмнпрстяё",
    "Arab": "ابتثجحخدذرزسشصطعفقكلمنهوي",
    "Deva": "कखगचजटडतदनपबमयरलवसह",
    "Beng": "কখগচজটডতদনপবমযরলসহ",
    "Ethi": "ሀለመሰረሸቀበተነአከወዘየደገጠ",
    "Grek": "αβγδεζηθικλμνξοπρστυφχψω",
    "Hebr": "אבגדהוזחטיכלמנסעפצקרשת",
    "Thai": "กขคงจฉชซดตถทนบปผพฟมยรลวสหอ",
    "Hang": "가나다라마바사아자차카타파하",
    "Geor": "აბგდევზთიკლმნოპრსტუფქ",
    "Armn": "աբգդեզէըթժիլխծկհձղ",
    "Taml": "கஙசஞடணதநபமயரலவழளறன",
    "Telu": "కఖగఘచఛజఝటఠడఢణతథదధనపఫబభమ",
    "Knda": "ಕಖಗಘಚಛಜಝಟಠಡಢಣತಥದಧನಪಫಬಭಮ",
    "Mlym": "കഖഗഘചഛജഝടഠഡഢണതഥദധനപഫബഭമ",
    "Gujr": "કખગઘચછજઝટઠડઢણતથદધનપફબભમ",
    "Guru": "ਕਖਗਘਚਛਜਝਟਠਡਢਣਤਥਦਧਨਪਫਬਭਮ",
    "Orya": "କଖଗଘଚଛଜଝଟଠଡଢଣତଥଦଧନପଫବଭମ",
    "Sinh": "කඛගඝචඡජඣටඨඩඪණතථදධනපඵබභම",
    "Khmr": "កខគឃងចឆជឈញដឋឌឍណតថទធន",
    "Laoo": "ກຂຄງຈຊຍດຕຖທນບປຜຝພຟມຢຣລວສຫອຮ",
    "Mymr": "ကခဂဃငစဆဇဈညဋဌဍဎဏတထဒဓနပဖဗဘမ",
    "Tibt": "ཀཁགངཅཆཇཉཏཐདནཔཕབམཙཚཛཝཞཟའཡརལཤསཧཨ",
}


# Languages whose names, written in a language, give the mock words of it (CLDR via langcodes).
NAMED = ("en", "fr", "de", "es", "ru", "zh", "ja", "ar", "hi", "pt", "it", "sw", "tr", "pl", "nl", "ko", "fa", "id",
         "th", "vi", "el", "he", "uk", "cs", "sv", "hu", "fi", "da", "no", "ro", "bg", "sr", "hr", "sk", "lt", "lv",
         "et", "sl", "ga", "cy", "is", "mt", "sq", "mk", "hy", "ka", "az", "kk", "uz", "mn", "ne", "bn", "ta", "te",
         "ml", "kn", "mr", "gu", "pa", "ur", "ps", "am", "so", "yo", "ig", "ha", "zu", "xh")  # fmt: skip


@functools.cache
def _named_words(lang: str) -> tuple[str, ...]:
    """Words of `lang` from the names it gives other languages in CLDR (none where CLDR has no names in it,
    so that English fallbacks are not taken for it)."""
    import langcodes

    from bayling_data.languages import UnknownLanguageError, get

    try:
        known = get(lang)
    except UnknownLanguageError:
        return ()
    tag = langcodes.Language.make(language=known.iso1 or known.iso3, script=known.script).to_tag()
    words: set[str] = set()
    for other in NAMED:
        name = langcodes.Language.get(other).display_name(tag)
        if name != langcodes.Language.get(other).display_name("en"):
            words.update(name.split())
    return tuple(sorted(words)) if len(words) >= 10 else ()


def _script_words(lang: str, rng: random.Random, count: int) -> list[str] | None:
    from bayling_data.languages import UnknownLanguageError, get

    try:
        letters = ALPHABETS.get(get(lang).script)
    except UnknownLanguageError:
        return None
    if letters is None:
        return None
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 7))) for _ in range(count)]


def pseudo_text(lang: str, rng: random.Random, words: int | None = None) -> str:
    """A sentence-like string of common words of `lang` (CJK without spaces; other languages:
    pseudo-words in the language's script)."""
    count = words or rng.randint(8, 16)
    if lang not in VOCABULARY and (named := _named_words(lang)):
        return " ".join(rng.choice(named) for _ in range(count)) + "."
    if lang not in VOCABULARY and (made := _script_words(lang, rng, count)) is not None:
        return " ".join(made) + "."
    vocab = VOCABULARY.get(lang, VOCABULARY[FALLBACK])
    picked = [rng.choice(vocab) for _ in range(count)]

    if lang.startswith(("zho", "jpn", "yue")):
        return "".join(picked) + "。"
    sentence = " ".join(picked)
    return sentence[0].upper() + sentence[1:] + "."


@dataclass
class Faults:
    """Fault injection: probabilities per request (0 disables)."""

    error_500: float = 0.0
    bad_request_400: float = 0.0  # a request refused for good (say, a prompt too long for the model)
    rate_limit_429: float = 0.0
    retry_after: float = 0.05
    empty: float = 0.0
    malformed_json: float = 0.0
    drop_connection: float = 0.0
    wrong_language: float = 0.0  # free-text answers in another language (decided by the request's hash)
    fail_langs: tuple[str, ...] = ()  # languages it cannot write: answers asked in them come in another one
    seed: int = 0


@dataclass
class MockState:
    """Configuration and counters of one mock server."""

    model: str = "mock-teacher"
    only_its_model: bool = False  # a request for another model gets OpenAI's 404 model_not_found
    api_key: str | None = None  # required bearer token, None: accept any
    latency: float = 0.0
    faults: Faults = field(default_factory=Faults)
    request_budget: int | None = None  # requests allowed per budget window (x-ratelimit-* headers, then 429)
    budget_window: float = 1.0
    batch_polls: int = 2  # a batch reports in_progress this many times before completed
    batch_create_delay: float = 0.0  # seconds between creating a job and answering (a kill lands between)
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: Counter = field(default_factory=Counter)
    unique_requests: set[str] = field(default_factory=set)
    phrasebook: dict[str, str] = field(default_factory=dict)  # text -> its faithful translation
    # a misbehaving endpoint: given the request's headers, its body and the completion the mock would send,
    # what to send instead (a JSON-ready object, or a ready aiohttp response)
    answer_hook: Callable[[Any, dict[str, Any], dict[str, Any]], Any] | None = None

    def __post_init__(self) -> None:
        self.rng = random.Random(self.faults.seed)
        self.window_start, self.window_count = time.monotonic(), 0

    def ratelimit(self) -> tuple[dict[str, str], bool]:
        """Rate-limit headers for this request, and whether it is over the budget."""
        if self.request_budget is None:
            return {}, False
        now = time.monotonic()
        if now - self.window_start >= self.budget_window:
            self.window_start, self.window_count = now, 0
        self.window_count += 1
        remaining = self.request_budget - self.window_count
        reset = self.budget_window - (now - self.window_start)
        headers = {
            "x-ratelimit-limit-requests": str(self.request_budget),
            "x-ratelimit-remaining-requests": str(max(remaining, 0)),
            "x-ratelimit-reset-requests": f"{reset:.3f}s",
        }
        return headers, remaining < 0


def answer(
    body: dict[str, Any],
    phrasebook: dict[str, str] | None = None,
    wrong_language: float = 0.0,
    fail_langs: tuple[str, ...] = (),
) -> str:
    """The deterministic answer to a chat request body. A translation request for a text in `phrasebook`
    gets the phrasebook's translation (a faithful teacher, for round-trip checks); a share
    `wrong_language` of free-text answers comes in another language, and every answer asked in one of
    `fail_langs`."""
    messages = body.get("messages", [])
    text = "\n".join(str(m.get("content", "")) for m in messages)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).digest()
    rng = random.Random(digest)
    langs = OUTPUT_LANGUAGE.findall(text)
    lang = langs[-1] if langs else FALLBACK
    if lang in fail_langs:  # a language this teacher cannot write: it answers in another
        lang = "deu_Latn" if lang == FALLBACK else FALLBACK
    last = str(messages[-1].get("content", "")) if messages else ""
    if (body.get("response_format") or {}).get("type") == "json_object":
        return json.dumps(_json_answer(last, lang, rng), ensure_ascii=False)
    quoted = DELIMITED.findall(last)
    if phrasebook and "Task: translate text" in last and quoted and quoted[-1] in phrasebook:
        return phrasebook[quoted[-1]]
    writes_user_turn = "Task: write user turn" in last
    if rng.random() < (0.05 if writes_user_turn else wrong_language):  # 5% of user turns in the wrong language
        lang = "deu_Latn" if lang == FALLBACK else FALLBACK
    reply = pseudo_text(lang, rng)
    required = MUST_INCLUDE.findall(text)
    if required and rng.random() > 0.1:  # 10% of answers miss their constraint words
        reply += " " + " ".join(w.strip() for w in required[-1].split("|"))
    return reply


def _json_answer(prompt: str, lang: str, rng: random.Random) -> dict[str, Any]:
    task = (TASK.findall(prompt) or ["unknown"])[0].strip()
    quoted = DELIMITED.findall(prompt)
    source = quoted[-1] if quoted else pseudo_text(lang, rng)
    tokens = [t for t in re.findall(r"\w+", source) if 1 < len(t) < 12] or list(source.strip("。."))
    if task == "propose constraints":
        return {"words": [pseudo_text(lang, rng, 1).rstrip("。.").lower() for _ in range(rng.randint(1, 2))]}
    if task == "propose replacement":
        return {"replace": rng.choice(tokens), "with": pseudo_text(lang, rng, 1).rstrip("。.").lower()}
    if task == "propose error":
        return {"wrong": rng.choice(tokens)}
    if task == "propose question":
        return {"question": pseudo_text(lang, rng).rstrip("。.") + ("？" if lang.startswith("zho") else "?")}
    if task == "judge record":  # a score drawn from the request: the same record always gets the same one
        return {"score": rng.randint(1, 5), "reason": "mock judgement"}
    return {"text": pseudo_text(lang, rng)}


def make_app(state: MockState) -> web.Application:
    """The aiohttp application serving the OpenAI endpoints the teacher client uses."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.add_routes(_chat_routes(state) + _batch_routes(state))
    return app


def _chat_routes(state: MockState) -> list[web.RouteDef]:
    """Models, chat completions (with latency, rate limits and faults) and the counters."""

    async def models(request: web.Request) -> web.Response:
        state.counters["models"] += 1
        if denied := _check_auth(request, state):
            return denied
        return web.json_response({"object": "list", "data": [{"id": state.model, "object": "model"}]})

    async def chat(request: web.Request) -> web.StreamResponse:
        state.counters["requests"] += 1
        if denied := _check_auth(request, state):
            return denied
        body = await request.json()
        if state.only_its_model and body.get("model") != state.model:
            state.counters["unknown_model"] += 1
            message = f"The model `{body.get('model')}` does not exist or you do not have access to it."
            error = {"message": message, "type": "invalid_request_error", "code": "model_not_found"}
            return web.json_response({"error": error}, status=404)
        if state.latency:
            await asyncio.sleep(state.latency)
        limit_headers, over = state.ratelimit()
        if over:
            state.counters["fault_429"] += 1
            return web.json_response(
                {"error": {"message": "rate limit reached"}},
                status=429,
                headers={**limit_headers, "Retry-After": limit_headers["x-ratelimit-reset-requests"][:-1]},
            )
        fault = _pick_fault(state)
        if fault:
            state.counters[f"fault_{fault}"] += 1
            return await _fault_response(request, fault, state)
        state.counters["completions"] += 1
        completion = _completion(body, state)
        if state.answer_hook is not None:
            sent = state.answer_hook(request.headers, body, completion)
            return sent if isinstance(sent, web.StreamResponse) else web.json_response(sent, headers=limit_headers)
        return web.json_response(completion, headers=limit_headers)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response({**state.counters, "unique_requests": len(state.unique_requests)})

    return [
        web.get("/v1/models", models),
        web.post("/v1/chat/completions", chat),
        web.get("/_stats", stats),
    ]


def _batch_routes(state: MockState) -> list[web.RouteDef]:
    """The files and batches endpoints of the Batch API (a batch is answered when it is created)."""

    async def upload_file(request: web.Request) -> web.Response:
        if denied := _check_auth(request, state):
            return denied
        form = await request.post()
        upload = form["file"]
        content = upload.file.read() if hasattr(upload, "file") else bytes(upload)
        file_id = f"file-{len(state.files)}"
        state.files[file_id] = content
        return web.json_response(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": 0,
                "filename": getattr(upload, "filename", "upload"),
                "purpose": form.get("purpose"),
                "status": "processed",
            }
        )

    async def file_content(request: web.Request) -> web.Response:
        content = state.files.get(request.match_info["file_id"])
        if content is None:
            return web.json_response({"error": {"message": "no such file"}}, status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def create_batch(request: web.Request) -> web.Response:
        if denied := _check_auth(request, state):
            return denied
        body = await request.json()
        batch_id = f"batch_{len(state.batches)}"
        lines = _batch_answers(state, body["input_file_id"])
        output_id = f"file-{len(state.files)}"
        state.files[output_id] = ("\n".join(lines) + "\n").encode()
        state.batches[batch_id] = {
            "polls_left": state.batch_polls,
            "output_file_id": output_id,
            "input_file_id": body["input_file_id"],
            "metadata": body.get("metadata") or {},
        }
        state.counters["batches"] += 1
        if state.batch_create_delay:
            await asyncio.sleep(state.batch_create_delay)
        return web.json_response(_batch_object(batch_id, state.batches[batch_id]))

    async def get_batch(request: web.Request) -> web.Response:
        batch = state.batches.get(request.match_info["batch_id"])
        if batch is None:
            return web.json_response({"error": {"message": "no such batch"}}, status=404)
        batch["polls_left"] -= 1
        state.counters["batch_polls"] += 1
        return web.json_response(_batch_object(request.match_info["batch_id"], batch))

    async def list_batches(request: web.Request) -> web.Response:
        state.counters["batch_lists"] += 1
        newest_first = [_batch_object(batch_id, batch) for batch_id, batch in reversed(state.batches.items())]
        return web.json_response({"object": "list", "data": newest_first, "has_more": False})

    return [
        web.post("/v1/files", upload_file),
        web.get("/v1/files/{file_id}/content", file_content),
        web.post("/v1/batches", create_batch),
        web.get("/v1/batches", list_batches),
        web.get("/v1/batches/{batch_id}", get_batch),
    ]


def _batch_answers(state: MockState, input_file_id: str) -> list[str]:
    """The output lines of a batch: one answer per request line of its input file."""
    lines = []
    for line in state.files[input_file_id].decode().splitlines():
        item = json.loads(line)
        state.counters["batch_requests"] += 1
        completion = _completion(item["body"], state)
        answer = {"status_code": 200, "request_id": "r", "body": completion}
        lines.append(
            json.dumps({"id": f"req_{len(lines)}", "custom_id": item["custom_id"], "error": None, "response": answer})
        )
    return lines


def _completion(body: dict[str, Any], state: MockState) -> dict[str, Any]:
    """A chat.completion answering `body` (directly or in a batch); counted as a unique request and by task."""
    state.unique_requests.add(hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest())
    last = str((body.get("messages") or [{}])[-1].get("content", ""))
    state.counters.update(f"task:{task.strip()}" for task in TASK.findall(last)[:1])  # what was asked, by kind
    content = answer(body, state.phrasebook, state.faults.wrong_language, state.faults.fail_langs)
    max_tokens = int(body.get("max_tokens") or 1_000_000)
    words = content.split(" ")
    finish = "stop"
    if len(words) > max_tokens:
        content, finish = " ".join(words[:max_tokens]), "length"
    prompt_tokens = sum(len(str(m.get("content", ""))) // 4 + 1 for m in body.get("messages", []))
    completion_tokens = len(content) // 4 + 1
    return {
        "id": f"chatcmpl-{state.counters['requests']}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", state.model),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _batch_object(batch_id: str, batch: dict[str, Any]) -> dict[str, Any]:
    done = batch["polls_left"] < 0
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "created_at": 0,
        "input_file_id": batch["input_file_id"],
        "status": "completed" if done else "in_progress",
        "output_file_id": batch["output_file_id"] if done else None,
        "metadata": batch.get("metadata") or {},
    }


def _check_auth(request: web.Request, state: MockState) -> web.Response | None:
    if state.api_key is None or request.headers.get("Authorization") == f"Bearer {state.api_key}":
        return None
    state.counters["unauthorized"] += 1
    return web.json_response(
        {
            "error": {
                "message": "Incorrect API key provided.",
                "type": "invalid_request_error",
                "code": "invalid_api_key",
            }
        },
        status=401,
    )


def _pick_fault(state: MockState) -> str | None:
    f = state.faults
    for name, probability in (
        ("500", f.error_500),
        ("400", f.bad_request_400),
        ("429", f.rate_limit_429),
        ("empty", f.empty),
        ("malformed", f.malformed_json),
        ("drop", f.drop_connection),
    ):
        if probability and state.rng.random() < probability:
            return name
    return None


async def _fault_response(request: web.Request, fault: str, state: MockState) -> web.StreamResponse:
    if fault in ("500", "400"):
        return web.json_response({"error": {"message": "injected failure"}}, status=int(fault))
    if fault == "429":
        return web.json_response(
            {"error": {"message": "rate limited"}},
            status=429,
            headers={"Retry-After": str(state.faults.retry_after)},
        )
    if fault == "empty":
        return web.json_response(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": state.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ""}, "finish_reason": "stop"}],
            }
        )
    if fault == "malformed":
        return web.Response(text='{"id": "x", "choices": [', content_type="application/json")
    assert request.transport is not None
    request.transport.close()  # drop the connection without an answer
    return web.Response()


class BackgroundServer:
    """Runs an aiohttp application on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self._app = app
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def start(self) -> BackgroundServer:
        """Start serving; returns self."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MockServer(BackgroundServer):
    """The mock teacher in a background thread: `.url` for the OpenAI client, `.state` for its counters."""

    def __init__(self, state: MockState | None = None, port: int = 0) -> None:
        self.state = state or MockState()
        super().__init__(make_app(self.state), port)

    @property
    def url(self) -> str:
        """Base URL for the OpenAI client (`.../v1`)."""
        return f"http://127.0.0.1:{self.port}/v1"


def serve_forever(state: MockState, port: int) -> None:
    """Run the mock server in the foreground (for `bayling-data teacher mock`)."""
    web.run_app(make_app(state), host="127.0.0.1", port=port, access_log=None, print=None)


@contextlib.contextmanager
def mock_process(latency: float = 0.0) -> Iterator[str]:
    """A mock teacher in a process of its own (`bayling-data teacher mock`, so that the CPU a benchmark
    measures is the client's alone); yields its base URL once it answers."""
    from bayling_data.teacher.embedded.local_server import free_port

    port = free_port()
    cli = Path(sys.executable).parent / "bayling-data"
    command = [str(cli), "teacher", "mock", "--port", str(port), "--latency", str(latency)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)
