"""Push an output folder to the Hugging Face Hub: one commit per shard, so an interrupted push resumes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class PushError(RuntimeError):
    """A push that cannot go on (bad token, no permission, missing extra); the message says what to do."""


@dataclass
class PushResult:
    """What a push did."""

    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already on the Hub with the same content


def files_to_push(folder: Path, include_rejected: bool = False) -> list[str]:
    """Shards and the card's charts first, the dataset card last (so it never shows what is not there)."""
    if not (folder / "data").is_dir() or not (folder / "README.md").exists():
        raise PushError(f"{folder} is not a finished bayling-data output (no data/ shards or README.md)")
    subdirs = ["data", "rejected", "charts"] if include_rejected else ["data", "charts"]
    shards = [
        p
        for sub in subdirs
        if (folder / sub).is_dir()
        for p in sorted((folder / sub).iterdir())
        if p.is_file() and not p.name.startswith(".")  # parquet or jsonl shards; never a half-written .tmp
    ]
    return [p.relative_to(folder).as_posix() for p in shards] + ["README.md"]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The git object id of a small (non-LFS) file, as the Hub reports it."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _explain(error: Exception, repo: str) -> PushError:
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status == 401:
        return PushError("the Hub refused the token (HTTP 401): pass --token or set HF_TOKEN to a valid token")
    if status == 403:
        return PushError(f"the token may not write to {repo} (HTTP 403): use a token with write access to it")
    return PushError(f"push to {repo} failed: {type(error).__name__} (HTTP {status}); run the same command to resume")


def push_folder(
    folder: Path,
    repo: str,
    *,
    token: str | None = None,
    private: bool = False,
    revision: str | None = None,
    include_rejected: bool = False,
    on_file: Callable[[str, bool], None] | None = None,
) -> PushResult:
    """Create the dataset repo if needed and upload every shard not already there, one commit each."""
    try:
        from huggingface_hub import CommitOperationAdd, HfApi
        from huggingface_hub.errors import HfHubHTTPError
        from huggingface_hub.hf_api import RepoFile
    except ImportError:
        raise PushError('pushing needs huggingface_hub: pip install "bayling-data[hub]"') from None
    api = HfApi(token=token)
    result = PushResult()
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo, repo_type="dataset", branch=revision, exist_ok=True)
        remote = {
            entry.path: entry
            for entry in api.list_repo_tree(repo, repo_type="dataset", revision=revision, recursive=True)
            if isinstance(entry, RepoFile)
        }
        for name in files_to_push(folder, include_rejected):
            local = folder / name
            there = remote.get(name)
            same = there is not None and (
                (there.lfs is not None and there.lfs.sha256 == sha256_of(local))
                or (there.lfs is None and there.blob_id == git_blob_sha1(local))
            )
            if same:
                result.skipped.append(name)
            else:
                with open(local, "rb") as handle:  # a file object: plain HTTP/LFS upload, resumable per file
                    api.create_commit(
                        repo,
                        repo_type="dataset",
                        revision=revision,
                        operations=[CommitOperationAdd(path_in_repo=name, path_or_fileobj=handle)],
                        commit_message=f"Add {name}",
                    )
                result.uploaded.append(name)
            if on_file is not None:
                on_file(name, same)
    except HfHubHTTPError as error:
        raise _explain(error, repo) from None
    except Exception as error:  # the HTTP client's own errors (httpx or requests): connection refused, timeouts
        if not _is_network_error(error):
            raise
        endpoint = api.endpoint
        raise PushError(
            f"cannot reach the Hub at {endpoint} ({type(error).__name__}: {error}); check the network or"
            f" HF_ENDPOINT, then run the same command: shards already pushed are skipped ({len(result.uploaded)} now)"
        ) from None
    return result


def _is_network_error(error: BaseException) -> bool:
    """A transport failure of httpx or requests (their exception types, without importing either)."""
    module = type(error).__module__.split(".")[0]
    return module in ("httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3") or isinstance(
        error, (ConnectionError, TimeoutError)
    )
