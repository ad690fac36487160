"""Pushing to a Hub on 127.0.0.1 (HF_ENDPOINT): full push, interrupted then resumed push, bad tokens."""

from __future__ import annotations

import hashlib
import re

import pytest
from conftest import generate_args, run_cli
from hub_server import READ_TOKEN, WRITE_TOKEN, HubServer

from bayling_data.testing.mock_teacher import MockServer, MockState


@pytest.fixture(scope="module")
def dataset_folder(tmp_path_factory):
    """A generated dataset with several train shards and a validation split."""
    root = tmp_path_factory.mktemp("push")
    env = {"XDG_CACHE_HOME": str(root / "cache"), "PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200"}
    (root / "cache").mkdir()
    with MockServer(MockState()) as server:
        done = run_cli(
            generate_args(server.url, root / "out", 60, "--shard-rows", "15", "--val-fraction", "0.2", langs="en,de"),
            env,
        )
    assert done.returncode == 0, done.stderr
    return root / "out"


def push_env(hub: HubServer, tmp_path, token: str) -> dict[str, str]:
    (tmp_path / "cache").mkdir(exist_ok=True)
    return {
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": token,
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "PATH": "/usr/bin:/bin",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HF_HOME": str(tmp_path / "hf"),
        "COLUMNS": "200",
    }


def local_files(folder) -> dict[str, bytes]:
    """What a push must upload: the shards, the card's charts (so the Hub page shows them), the card."""
    shards = [*(folder / "data").glob("*.parquet"), *(folder / "charts").glob("*.svg")]
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in shards}
    files["README.md"] = (folder / "README.md").read_bytes()
    return files


def test_push_uploads_every_shard_byte_identical(dataset_folder, tmp_path):
    with HubServer() as hub:
        done = run_cli(["push", str(dataset_folder), "--repo", "user/demo"], push_env(hub, tmp_path, WRITE_TOKEN))
        assert done.returncode == 0, done.stderr
        repo = hub.state.repos["user/demo"]
        expected = local_files(dataset_folder)
        assert set(repo.files) == set(expected)
        assert all(hashlib.sha256(repo.files[k]).digest() == hashlib.sha256(v).digest() for k, v in expected.items())
        assert repo.commits == len(expected)  # one commit per file
        assert any(name.startswith("data/validation-") for name in repo.files)

        again = run_cli(["push", str(dataset_folder), "--repo", "user/demo"], push_env(hub, tmp_path, WRITE_TOKEN))
        assert again.returncode == 0
        assert repo.commits == len(expected)  # nothing new: every file was already there
        assert "already there" in again.stderr


def test_interrupted_push_resumes(dataset_folder, tmp_path):
    with HubServer() as hub:
        hub.state.fail_commits_after = 2
        env = push_env(hub, tmp_path, WRITE_TOKEN)
        broken = run_cli(["push", str(dataset_folder), "--repo", "user/demo"], env)
        assert broken.returncode == 1 and "resume" in broken.stderr
        assert "README.md" not in hub.state.repos["user/demo"].files  # the card goes last
        hub.state.fail_commits_after = None
        resumed = run_cli(["push", str(dataset_folder), "--repo", "user/demo"], env)
        assert resumed.returncode == 0, resumed.stderr
        repo = hub.state.repos["user/demo"]
        assert repo.files == local_files(dataset_folder)
        assert repo.commits == len(local_files(dataset_folder))  # the 2 pushed before were not sent again


@pytest.mark.parametrize(("token", "message"), [("hf_nonsense", "HTTP 401"), (READ_TOKEN, "HTTP 403")])
def test_bad_token_and_missing_permission(dataset_folder, tmp_path, token, message):
    with HubServer() as hub:
        done = run_cli(["push", str(dataset_folder), "--repo", "user/demo"], push_env(hub, tmp_path, token))
    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert token not in done.stderr


def test_card_header_is_what_the_hub_expects(dataset_folder):
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(dataset_folder / "README.md")
    data = card.data.to_dict()
    assert set(data["language"]) == {"en", "de"}
    assert data["size_categories"] == ["n<1K"]
    assert data["task_categories"] == ["translation", "text-generation"]
    splits = {f["split"] for f in data["configs"][0]["data_files"]}
    assert splits == {"train", "validation"}
    assert "Records per direction" in card.text
    charts = re.findall(r"!\[[^\]]+\]\((charts/[a-z_]+\.svg)\)", card.text)  # embedded, written beside it
    assert len(charts) >= 3
    for chart in charts:
        assert (dataset_folder / chart).read_text().lstrip().startswith(("<?xml", "<svg"))
