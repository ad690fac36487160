"""The viewer's web server: aiohttp on 127.0.0.1, pages rendered by Jinja2 with autoescaping (record text
is untrusted: a `<script>` in an answer shows as text), charts as SVG from matplotlib.

Read-only: no route writes anything but the facet index beside the data.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import signal
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bayling_data import diversity
from bayling_data.export import charts
from bayling_data.view.data import PAGE_SIZE, Dataset, Query

PAGES = jinja2.Environment(
    loader=jinja2.PackageLoader("bayling_data.view", "pages"), autoescape=True, undefined=jinja2.ChainableUndefined
)
TRANSLATING_TURNS = frozenset({"translate", "refine", "restyle", "correct_error", "switch_target"})
FACET_TITLES = {
    "split": "Split",
    "language": "Target language",
    "direction": "Direction",
    "generator": "Generator",
    "task": "Task",
    "turn_type": "Turn type",
    "instruction_lang": "Instruction language",
    "reject_step": "Rejected by step",
    "reject_reason": "Reject reason",
    "semantic": "Semantic score",
}


def host_guard(allowed: set[str]) -> Callable[..., Any]:
    """A middleware that answers only requests whose `Host` is one of `allowed` (the address the viewer is bound
    to): a web page elsewhere that points its own host name at 127.0.0.1 (DNS rebinding) reads nothing."""

    @web.middleware
    async def guard(request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        if request.headers.get("Host", "").lower() not in allowed:
            raise web.HTTPMisdirectedRequest(text="this viewer answers only at the address it is bound to")
        return await handler(request)

    return guard


def bound_hosts(host: str, port: int) -> set[str]:
    """The `Host` headers a browser sends for the viewer at host:port (127.0.0.1 is localhost too)."""
    names = {host, "localhost", "127.0.0.1", "[::1]"} if host in ("127.0.0.1", "localhost", "::1") else {host}
    return {f"{name}:{port}" for name in names}


def make_app(dataset: Dataset, allowed_hosts: set[str] | None = None) -> web.Application:
    """The viewer's routes over one dataset, answering only to `allowed_hosts` (None: any, for tests)."""
    app = web.Application(middlewares=[host_guard(allowed_hosts)] if allowed_hosts is not None else [])
    files = [str(path) for paths in dataset.shards.values() for path in paths]

    def address(filename: str, row: int) -> str:
        return f"/record/{files.index(filename)}/{row}"

    async def overview(request: web.Request) -> web.Response:
        return await _overview(dataset)

    async def chart(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "lengths":
            svg = await asyncio.to_thread(_lengths_chart, dataset)
        else:
            svg = await asyncio.to_thread(_card_chart, dataset, name)
        if svg is None:
            raise web.HTTPNotFound(text="no such chart for this dataset")
        return web.Response(text=svg, content_type="image/svg+xml")

    async def browse(request: web.Request) -> web.Response:
        query = Query.from_params(request.query)
        try:
            rows, more = await asyncio.to_thread(dataset.browse, query)
        except RuntimeError as error:
            raise web.HTTPServiceUnavailable(text=str(error)) from None
        counts = await asyncio.to_thread(dataset.facet_counts, query)
        return _page(
            "browse.html",
            query=query,
            rows=[
                {**row, "href": address(row["filename"], row["file_row_number"]), "snippet": _snippet(row)}
                for row in rows
            ],
            more=more,
            counts=counts,
            titles=FACET_TITLES,
            link=functools.partial(_link, query),
            first=query.page * PAGE_SIZE + 1,
        )

    async def record(request: web.Request) -> web.Response:
        try:
            shard, row = int(request.match_info["shard"]), int(request.match_info["row"])
            filename = files[shard]
        except (ValueError, IndexError):
            raise web.HTTPNotFound(text="no such record") from None
        found = await asyncio.to_thread(dataset.record, filename, row)
        if found is None:
            raise web.HTTPNotFound(text="no such record")
        neighbours = {k: address(*v) if v else None for k, v in found["neighbours"].items()}
        return _page("record.html", record=found, turns=_turns(found), neighbours=neighbours, shard=Path(filename).name)

    app.add_routes(
        [
            web.get("/", overview),
            web.get("/static/keys.js", _script),
            web.get("/browse", browse),
            web.get(r"/record/{shard:\d+}/{row:\d+}", record),
            web.get(r"/charts/{name:[a-z_]+}.svg", chart),
        ]
    )
    return app


async def _overview(dataset: Dataset) -> web.Response:
    """The overview page: counts, charts, rejects per step and language, diversity, spend and settings."""
    summary = dataset.summary
    stats = summary.get("stats", {})
    return _page(
        "overview.html",
        folder=str(dataset.folder),
        stats=stats,
        charts=[*charts.card_chart_names(stats), "lengths"],
        usage=summary.get("usage") or {},
        config=summary.get("config") or {},
        filters=summary.get("filters") or {},
        diversity=summary.get("diversity") or {},
        sample=diversity.SAMPLE,
        reasons=(stats.get("counts") or {}).get("rejected_reason", {}),
        by_language=await asyncio.to_thread(_rejections_by_language, dataset),
    )


async def _script(request: web.Request) -> web.Response:
    text = (Path(__file__).parent / "pages" / "keys.js").read_text("utf-8")
    return web.Response(text=text, content_type="application/javascript")


def _page(name: str, **values: Any) -> web.Response:
    html = PAGES.get_template(name).render(**values)
    headers = {"Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; script-src 'self'"}
    return web.Response(text=html, content_type="text/html", headers=headers)


def _link(query: Query, **changes: Any) -> str:
    """The browse URL of `query` with some parameters changed (None removes one); page resets to 0."""
    params: dict[str, Any] = {"q": query.text, "sort": query.sort, **query.facets}
    params.update(changes)
    return "/browse?" + urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})


def _snippet(row: dict[str, Any]) -> str:
    messages = row.get("messages") or []
    text = messages[0]["content"] if messages else ""
    return text[:220] + ("…" if len(text) > 220 else "")


def _turns(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Each message with its language, turn type, the words it should carry (marked) and, for a translation,
    the source text beside it."""
    meta = record["meta"]
    langs = meta.get("turn_langs") or []
    plan = meta.get("plan") or []
    wanted: dict[int, list[str]] = defaultdict(list)
    for constraint in meta.get("constraints") or []:
        if isinstance(constraint, dict) and isinstance(constraint.get("turn"), int):
            words = [*constraint.get("words", []), *filter(None, [constraint.get("wrong")])]
            wanted[constraint["turn"]] += [str(w) for w in words]
    turns = []
    for position, message in enumerate(record["messages"] or []):
        pair = position // 2
        kind = plan[pair] if pair < len(plan) else None
        turns.append(
            {
                "role": message["role"],
                "lang": langs[position] if position < len(langs) else None,
                "kind": kind,
                "html": _marked(message["content"], wanted.get(pair, [])),
                "source": meta.get("source_text")
                if message["role"] == "assistant" and kind in TRANSLATING_TURNS
                else None,
            }
        )
    return turns


def _marked(text: str, words: list[str]) -> Markup:
    """`text` escaped, with each of `words` wrapped in <mark>."""
    words = [w for w in words if w]
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), Markup("<mark>"), escape(match.group()), Markup("</mark>")]
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("").join(pieces)


def _rejections_by_language(dataset: Dataset) -> dict[str, dict[str, int]] | None:
    """Rejected records per step and target language (None until the facet index is ready)."""
    if not dataset.index_ready.is_set() or dataset.index_error:
        return None
    rows = dataset.query("SELECT reject_step, tgt_lang, count(*) FROM facets WHERE split = 'rejected' GROUP BY 1, 2")
    table: dict[str, dict[str, int]] = defaultdict(dict)
    for step, lang, count in rows:
        table[str(step)][str(lang)] = int(count)
    return dict(table)


@functools.cache
def _card_chart(dataset: Dataset, name: str) -> str | None:
    return charts.card_chart(dataset.summary.get("stats", {}), name)


@functools.cache
def _lengths_chart(dataset: Dataset) -> str | None:
    dataset.index_ready.wait()
    if dataset.index_error:
        return None
    rows = dataset.query(
        "SELECT tgt_lang, answer_chars FROM facets WHERE split = 'train' AND answer_chars IS NOT NULL"
        " USING SAMPLE 20000 ROWS"
    )
    by_language: dict[str, list[int]] = defaultdict(list)
    for lang, chars in rows:
        by_language[str(lang)].append(int(chars))
    return charts.lengths(by_language)


def serve(folder: Path, port: int, host: str = "127.0.0.1", on_ready: Callable[[str], None] | None = None) -> None:
    """Serve the viewer until Ctrl-C (or SIGTERM); the facet index is built in the background meanwhile
    (started once the port is bound, and interrupted on the way out). `on_ready` gets the page's URL once
    the port is bound (port 0: a free one)."""
    dataset = Dataset(folder)

    async def main() -> None:
        allowed: set[str] = set()  # filled once the port is bound: nothing is answered before
        runner = web.AppRunner(make_app(dataset, allowed), access_log=None)
        await runner.setup()
        indexer = threading.Thread(target=dataset.build_index, name="view-index", daemon=True)
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            indexer.start()
            bound = runner.addresses[0][1]
            allowed.update(bound_hosts(host, bound))
            if on_ready is not None:
                on_ready(f"http://{host}:{bound}/")
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()
            if indexer.is_alive():
                dataset.stop_index()  # its query ends with an error, not an abort at exit
                indexer.join(timeout=10)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
