"""A small Hugging Face Hub on 127.0.0.1: the endpoints `huggingface_hub` calls to create a repo,
list its files, pre-upload, upload LFS objects (basic transfer) and commit. Tests set HF_ENDPOINT to it.

Tokens: `hf_write` may do anything, `hf_read` gets 403 on writes, anything else 401.
`fail_commits_after=N` makes every commit after the N-th fail with 500 (an interrupted push).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field

import yaml
from aiohttp import web

from bayling_data.testing.mock_teacher import BackgroundServer

WRITE_TOKEN, READ_TOKEN = "hf_write", "hf_read"


@dataclass
class Repo:
    files: dict[str, bytes] = field(default_factory=dict)  # path -> content
    lfs: dict[str, str] = field(default_factory=dict)  # path -> sha256 of an LFS file
    commits: int = 0
    private: bool = False


@dataclass
class HubState:
    repos: dict[str, Repo] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)  # LFS store by sha256
    fail_commits_after: int | None = None
    commits: int = 0
    base_url: str = ""


def _auth(request: web.Request, write: bool) -> web.Response | None:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token == WRITE_TOKEN or (token == READ_TOKEN and not write):
        return None
    if token == READ_TOKEN:
        return web.json_response({"error": "You don't have the rights to write to this repository"}, status=403)
    return web.json_response({"error": "Invalid credentials in Authorization header"}, status=401)


def make_app(state: HubState) -> web.Application:
    def repo_id(request: web.Request) -> str:
        return f"{request.match_info['ns']}/{request.match_info['name']}"

    async def create(request: web.Request) -> web.Response:
        if denied := _auth(request, write=True):
            return denied
        body = await request.json()
        rid = f"{body.get('organization') or 'user'}/{body['name']}"
        if rid in state.repos:
            return web.json_response(
                {"error": "You already created this dataset repo", "url": f"{state.base_url}/datasets/{rid}"},
                status=409,
            )
        state.repos[rid] = Repo(private=bool(body.get("private")))
        return web.json_response({"url": f"{state.base_url}/datasets/{rid}", "name": rid, "id": rid})

    async def tree(request: web.Request) -> web.Response:
        if denied := _auth(request, write=False):
            return denied
        repo = state.repos.get(repo_id(request))
        if repo is None:
            return web.json_response(
                {"error": "Repository not found"}, status=404, headers={"X-Error-Code": "RepoNotFound"}
            )
        entries = []
        for path, content in sorted(repo.files.items()):
            entry = {
                "type": "file",
                "path": path,
                "size": len(content),
                "oid": hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest(),
            }
            if path in repo.lfs:
                entry["lfs"] = {"oid": repo.lfs[path], "size": len(content), "pointerSize": 134}
            entries.append(entry)
        return web.json_response(entries)

    async def preupload(request: web.Request) -> web.Response:
        if denied := _auth(request, write=True):
            return denied
        body = await request.json()
        files = [
            {
                "path": f["path"],
                "uploadMode": "lfs" if f["path"].endswith(".parquet") else "regular",
                "shouldIgnore": False,
            }
            for f in body["files"]
        ]
        return web.json_response({"files": files, "commitOid": "0" * 40})

    async def lfs_batch(request: web.Request) -> web.Response:
        if denied := _auth(request, write=True):
            return denied
        body = await request.json()
        objects = []
        for obj in body["objects"]:
            item = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in state.objects:
                item["actions"] = {"upload": {"href": f"{state.base_url}/lfs-upload/{obj['oid']}"}}
            objects.append(item)
        return web.json_response({"transfer": "basic", "objects": objects})

    async def lfs_upload(request: web.Request) -> web.Response:
        data = await request.read()
        oid = request.match_info["oid"]
        if hashlib.sha256(data).hexdigest() != oid:
            return web.json_response({"error": "sha256 mismatch"}, status=400)
        state.objects[oid] = data
        return web.Response(status=200)

    async def commit(request: web.Request) -> web.Response:
        if denied := _auth(request, write=True):
            return denied
        repo = state.repos.get(repo_id(request))
        if repo is None:
            return web.json_response({"error": "Repository not found"}, status=404)
        if state.fail_commits_after is not None and state.commits >= state.fail_commits_after:
            return web.json_response({"error": "injected failure"}, status=500)
        for line in (await request.text()).splitlines():
            item = json.loads(line)
            value = item["value"]
            if item["key"] == "file":
                repo.files[value["path"]] = base64.b64decode(value["content"])
                repo.lfs.pop(value["path"], None)
            elif item["key"] == "lfsFile":
                repo.files[value["path"]] = state.objects[value["oid"]]
                repo.lfs[value["path"]] = value["oid"]
        repo.commits += 1
        state.commits += 1
        oid = hashlib.sha1(str(state.commits).encode()).hexdigest()
        return web.json_response(
            {
                "commitOid": oid,
                "commitUrl": f"{state.base_url}/datasets/{repo_id(request)}/commit/{oid}",
                "pullRequestUrl": None,
            }
        )

    async def validate_yaml(request: web.Request) -> web.Response:
        body = await request.json()
        content = body["content"]
        errors = []
        if not content.startswith("---\n") or "\n---" not in content[4:]:
            errors.append({"message": "no YAML metadata block"})
        else:
            header = yaml.safe_load(content[4 : content.index("\n---", 4)])
            if not isinstance(header, dict):
                errors.append({"message": "metadata is not a mapping"})
            elif not all(isinstance(code, str) for code in header.get("language", [])):
                errors.append({"message": "language must be a list of codes"})
        return web.json_response({"errors": errors, "warnings": []}, status=400 if errors else 200)

    async def branch(request: web.Request) -> web.Response:
        if denied := _auth(request, write=True):
            return denied
        return web.json_response({})

    app = web.Application(client_max_size=1024**3)
    app.router.add_post("/api/datasets/{ns}/{name}/branch/{branch}", branch)
    app.router.add_post("/api/validate-yaml", validate_yaml)
    app.router.add_post("/api/repos/create", create)
    app.router.add_get("/api/datasets/{ns}/{name}/tree/{revision}", tree)
    app.router.add_get("/api/datasets/{ns}/{name}/tree/{revision}/{path:.*}", tree)
    app.router.add_post("/api/datasets/{ns}/{name}/preupload/{revision}", preupload)
    app.router.add_post("/datasets/{ns}/{name}.git/info/lfs/objects/batch", lfs_batch)
    app.router.add_put("/lfs-upload/{oid}", lfs_upload)
    app.router.add_post("/api/datasets/{ns}/{name}/commit/{revision}", commit)
    return app


class HubServer(BackgroundServer):
    """The fake Hub in a background thread on 127.0.0.1; `.url` is what HF_ENDPOINT gets."""

    def __init__(self) -> None:
        self.state = HubState()
        super().__init__(make_app(self.state))

    def start(self) -> HubServer:
        super().start()
        self.state.base_url = f"http://127.0.0.1:{self.port}"
        return self

    @property
    def url(self) -> str:
        return self.state.base_url
