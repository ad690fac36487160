"""Continuous batching over llama.cpp (via llama-cpp-python's C API): several requests decoded in one forward
pass, each in its own sequence with its own seeded sampler, JSON enforced by a grammar when asked."""

from __future__ import annotations

import ctypes
import os
import queue
import random
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import llama_cpp as llama
from llama_cpp.llama_grammar import JSON_GBNF

# the sampling llama-cpp-python's server applied by default, so that answers keep their quality
TOP_K, TOP_P, MIN_P = 40, 0.95, 0.05
REPEAT_LAST_N, REPEAT_PENALTY = 64, 1.1


class PromptTooLong(ValueError):
    """The prompt does not fit a slot's context."""


@dataclass
class Job:
    """One chat completion: the prompt's tokens in, text and a finish reason out (through `done`)."""

    prompt: list[int]
    max_tokens: int
    temperature: float
    seed: int | None
    json: bool
    stop: list[str]
    done: Callable[[Job], None]
    text: str = ""
    tokens: list[int] = field(default_factory=list)
    finish_reason: str = ""
    cancelled: bool = False


@dataclass
class _Slot:
    """A sequence of the shared context and the job it decodes."""

    seq: int
    job: Job | None = None
    sampler: ctypes.c_void_p | None = None
    fed: int = 0  # prompt tokens already decoded
    pieces: bytearray = field(default_factory=bytearray)


@dataclass
class EngineStats:
    """What the engine did: forward passes, tokens through them, and how full its slots were."""

    passes: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    busy_slot_passes: int = 0  # sum over passes of the slots that had a job
    jobs: int = 0
    cancelled: int = 0


class Engine:
    """Loads the model once and decodes every admitted job in a background thread; `submit` is thread-safe."""

    def __init__(self, model_path: Path, *, slots: int, n_ctx: int, threads: int = 0, n_batch: int = 512) -> None:
        llama.llama_backend_init()
        llama.llama_log_set(_silent_log, ctypes.c_void_p())
        self.model = llama.llama_model_load_from_file(str(model_path).encode(), llama.llama_model_default_params())
        if not self.model:
            raise ValueError(f"{model_path}: llama.cpp could not load this model")
        self.vocab = llama.llama_model_get_vocab(self.model)
        params = llama.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx * slots, n_batch, n_batch
        params.n_seq_max = slots
        params.kv_unified = False  # each sequence its own cache stream: its numbers do not depend on the others
        # measured: with flash attention a sequence's logits change with what else is in the pass (its CPU
        # kernel splits the work by the shape of the batch); without it they do not, at the same speed here
        params.flash_attn_type = llama.LLAMA_FLASH_ATTN_TYPE_DISABLED
        params.n_threads = params.n_threads_batch = threads or os.cpu_count() or 1
        self.ctx = llama.llama_init_from_model(self.model, params)
        if not self.ctx:
            raise ValueError(f"{model_path}: llama.cpp could not make a context of {n_ctx} x {slots} tokens")
        self.n_ctx, self.n_batch = n_ctx, n_batch
        self.memory = llama.llama_get_memory(self.ctx)
        self.batch = llama.llama_batch_init(n_batch, 0, 1)
        self.slots = [_Slot(seq) for seq in range(slots)]
        self.template = llama.llama_model_chat_template(self.model, None)
        self.stats = EngineStats()
        self._queue: queue.Queue[Job] = queue.Queue()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="llama-engine", daemon=True)
        self._thread.start()

    # ---- the caller's side -------------------------------------------------------------------------------

    def chat_prompt(self, messages: list[dict[str, str]]) -> list[int]:
        """The model's own chat template applied to `messages`, tokenized, ready for the assistant's answer."""
        keep = [(m.get("role", "user").encode(), str(m.get("content", "")).encode()) for m in messages]
        chat = (llama.llama_chat_message * len(keep))(*(llama.llama_chat_message(r, c) for r, c in keep))
        size = 4 * sum(len(c) for _, c in keep) + 1024
        buf = ctypes.create_string_buffer(size)
        n = llama.llama_chat_apply_template(self.template, chat, len(keep), True, buf, size)
        if n < 0:
            raise ValueError("the model's chat template could not be applied")
        if n > size:
            buf = ctypes.create_string_buffer(n)
            n = llama.llama_chat_apply_template(self.template, chat, len(keep), True, buf, n)
        return self.tokenize(buf.raw[:n])

    def tokenize(self, text: bytes) -> list[int]:
        """Tokens of `text` (special tokens of the template parsed as such)."""
        room = len(text) + 16
        tokens = (llama.llama_token * room)()
        n = llama.llama_tokenize(self.vocab, text, len(text), tokens, room, True, True)
        return list(tokens[:n])

    def submit(self, job: Job) -> None:
        """Queue `job`; `job.done(job)` is called from the engine's thread when it ends."""
        if len(job.prompt) >= self.n_ctx:
            raise PromptTooLong(f"the prompt has {len(job.prompt)} tokens; a slot holds {self.n_ctx}")
        self._queue.put(job)

    def close(self) -> None:
        """Stop the thread and free the model."""
        self._stopping = True
        self._queue.put(Job([], 0, 0.0, None, False, [], lambda job: None))  # wake the thread
        self._thread.join(timeout=30)
        llama.llama_batch_free(self.batch)
        llama.llama_free(self.ctx)
        llama.llama_model_free(self.model)

    # ---- the engine's thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            busy = [slot for slot in self.slots if slot.job is not None]
            try:
                self._admit(block=not busy)
                self._step()
            except Exception as error:  # the thread must go on serving; the jobs in hand fail
                sys.stderr.write(f"llama engine: {error!r}\n")
                for slot in self.slots:
                    if slot.job is not None:
                        self._finish(slot, "error")

    def _admit(self, *, block: bool) -> None:
        """Give queued jobs to free slots (waiting for one when nothing is being decoded)."""
        for slot in self.slots:
            if slot.job is not None:
                continue
            try:
                job = self._queue.get(block=block, timeout=None)
            except queue.Empty:
                return
            if self._stopping:
                return
            block = False
            llama.llama_memory_seq_rm(self.memory, slot.seq, -1, -1)
            slot.job, slot.fed, slot.pieces = job, 0, bytearray()
            slot.sampler = self._sampler(job)
            self.stats.jobs += 1

    def _sampler(self, job: Job) -> ctypes.c_void_p:
        chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
        add = lambda sampler: llama.llama_sampler_chain_add(chain, sampler)  # noqa: E731
        if job.json:
            add(llama.llama_sampler_init_grammar(self.vocab, JSON_GBNF.encode(), b"root"))
        if job.temperature <= 0:
            add(llama.llama_sampler_init_greedy())
            return chain
        # the binding declares an older (n_vocab, last_n, ...) signature than some libllama builds (last_n, ...):
        # passing last_n in both integer places reads the same either way (floats travel in their own registers)
        add(llama.llama_sampler_init_penalties(REPEAT_LAST_N, REPEAT_LAST_N, REPEAT_PENALTY, 0.0, 0.0))
        add(llama.llama_sampler_init_top_k(TOP_K))
        add(llama.llama_sampler_init_top_p(TOP_P, 1))
        add(llama.llama_sampler_init_min_p(MIN_P, 1))
        add(llama.llama_sampler_init_temp(job.temperature))
        seed = job.seed if job.seed is not None else random.getrandbits(32)
        add(llama.llama_sampler_init_dist(seed & 0xFFFFFFFF))
        return chain

    def _step(self) -> None:
        """One forward pass over prompt chunks, then the last token of every decoding slot.

        An answer must not depend on what else is decoded with it (the same command, the same dataset):
        measured, that holds once flash attention is off (see __init__). With it on, a row 0 whose logits are
        asked for, followed by rows whose are not, also came out different; the order here (prompt chunks
        first, longest first, then the decoding rows) and chunks of n_batch from a prompt's start, each whole
        in one pass, avoid that case and split a prompt the same way every time, at no cost."""
        for slot in self.slots:
            if slot.job is not None and slot.job.cancelled:
                self._finish(slot, "cancelled")
        busy = [slot for slot in self.slots if slot.job is not None]
        decoding = [slot for slot in busy if slot.fed == len(slot.job.prompt)]  # type: ignore[union-attr]
        waiting = [(slot, slot.job.prompt[slot.fed : slot.fed + self.n_batch]) for slot in busy if slot not in decoding]  # type: ignore[union-attr]
        if waiting and len(waiting[0][1]) > self.n_batch - len(decoding):
            decoding = []  # a full chunk gets a pass of its own instead of waiting for a quiet moment
        room = self.n_batch - len(decoding)
        chunks: list[tuple[_Slot, list[int]]] = []
        for slot, chunk in waiting:
            if len(chunk) <= room:
                chunks.append((slot, chunk))
                room -= len(chunk)
        if not chunks and not decoding:
            return
        self.batch.n_tokens = 0
        rows: list[tuple[_Slot, int]] = []  # slots whose logits this pass yields, and their row
        for slot, chunk in sorted(chunks, key=lambda item: -len(item[1])):
            end = len(slot.job.prompt)  # type: ignore[union-attr]
            for token in chunk:
                row = self._add(token, slot.fed, slot.seq, slot.fed == end - 1)
                slot.fed += 1
            self.stats.prompt_tokens += len(chunk)
            if slot.fed == end:
                rows.append((slot, row))
        for slot in decoding:
            job = slot.job
            rows.append((slot, self._add(job.tokens[-1], slot.fed + len(job.tokens) - 1, slot.seq, True)))  # type: ignore[union-attr]
        self.stats.passes += 1
        self.stats.busy_slot_passes += len(busy)
        if llama.llama_decode(self.ctx, self.batch) != 0:
            for slot in [*decoding, *(slot for slot, _ in chunks)]:
                self._finish(slot, "error")
            return
        for slot, row in rows:
            self._sample(slot, row)

    def _add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        batch, row = self.batch, self.batch.n_tokens
        batch.token[row], batch.pos[row], batch.n_seq_id[row] = token, pos, 1
        batch.seq_id[row][0], batch.logits[row] = seq, logits
        batch.n_tokens += 1
        return row

    def _sample(self, slot: _Slot, row: int) -> None:
        job = slot.job
        assert job is not None
        token = llama.llama_sampler_sample(slot.sampler, self.ctx, row)
        if llama.llama_vocab_is_eog(self.vocab, token):
            self._finish(slot, "stop")
            return
        job.tokens.append(token)
        self.stats.generated_tokens += 1
        slot.pieces += self._piece(token)
        if job.stop:  # the answer so far is decoded only when a stop string may end it
            text = slot.pieces.decode("utf-8", "ignore")
            cut = min((i for i in (text.find(s) for s in job.stop) if i >= 0), default=-1)
            if cut >= 0:
                self._finish(slot, "stop", text=text[:cut])
                return
        if len(job.tokens) >= job.max_tokens or len(job.prompt) + len(job.tokens) >= self.n_ctx:
            self._finish(slot, "length")

    def _piece(self, token: int) -> bytes:
        buf = ctypes.create_string_buffer(64)
        n = llama.llama_token_to_piece(self.vocab, token, buf, 64, 0, False)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama.llama_token_to_piece(self.vocab, token, buf, -n, 0, False)
        return buf.raw[:n]

    def _finish(self, slot: _Slot, reason: str, *, text: str | None = None) -> None:
        job = slot.job
        assert job is not None
        job.text = slot.pieces.decode("utf-8", "replace") if text is None else text
        job.finish_reason = reason
        self.stats.cancelled += reason == "cancelled"
        if slot.sampler is not None:
            llama.llama_sampler_free(slot.sampler)
        slot.job, slot.sampler = None, None
        job.done(job)


@llama.llama_log_callback
def _silent_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    """llama.cpp's own log lines are not for our users."""
