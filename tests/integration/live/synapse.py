"""A real Synapse homeserver for tests: loopback only, sqlite, no federation, no TLS, its own venv.

Synapse lives in `.venv-synapse` (scripts/setup.sh --synapse, which `make test` runs): its pins are
not the runtime's, as with Axolotl. PREDRAFT_SYNAPSE_PYTHON names another interpreter that has it.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[3]
SYNAPSE_PYTHON = Path(os.environ.get("PREDRAFT_SYNAPSE_PYTHON", REPO / ".venv-synapse" / "bin" / "python"))
SERVER_NAME = "localhost"
START_TIMEOUT_S = 120
RELAXED = "{per_second: 1000, burst_count: 1000}"  # tests log in and send faster than people do

CONFIG = """\
server_name: "{server_name}"
pid_file: {dir}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: {dir}/homeserver.db
media_store_path: {dir}/media
signing_key_path: {dir}/signing.key
registration_shared_secret: "{secret}"
enable_registration: false
macaroon_secret_key: "{secret}-macaroon"
form_secret: "{secret}-form"
report_stats: false
enable_metrics: false
trusted_key_servers: []
federation_domain_whitelist: []
suppress_key_server_warning: true
rc_message: {relaxed}
rc_joins: {{local: {relaxed}, remote: {relaxed}}}
rc_login: {{address: {relaxed}, account: {relaxed}, failed_attempts: {relaxed}}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Synapse:
    def __init__(self, folder: Path):
        self.dir, self.port, self.secret = folder, free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = folder / "homeserver.yaml"
        self.config.write_text(CONFIG.format(server_name=SERVER_NAME, dir=folder, port=self.port, secret=self.secret,
                                             relaxed=RELAXED))
        self.log = (folder / "synapse.log").open("w")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        base = [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "-c", str(self.config)]
        subprocess.run([*base, "--generate-keys"], check=True, capture_output=True, cwd=self.dir)
        self.process = subprocess.Popen(base, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"synapse exited with {self.process.returncode}; see {self.dir / 'synapse.log'}")
            try:
                httpx.get(f"{self.url}/_matrix/client/versions", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError(f"synapse did not answer within {START_TIMEOUT_S} s; see {self.dir / 'synapse.log'}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def register(self, user: str, password: str) -> User:
        subprocess.run([str(SYNAPSE_PYTHON.parent / "register_new_matrix_user"), "-u", user, "-p", password,
                        "--no-admin", "-k", self.secret, self.url], check=True, capture_output=True)
        return User(self.url, f"@{user}:{SERVER_NAME}", password)


class User:
    """A person on the homeserver, driven over the client-server API as their own client would."""

    def __init__(self, url: str, user_id: str, password: str):
        self.user_id, self.password = user_id, password
        login = httpx.post(f"{url}/_matrix/client/v3/login", json={
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": user_id}, "password": password})
        login.raise_for_status()
        self.http = httpx.Client(base_url=f"{url}/_matrix/client/v3",
                                 headers={"Authorization": f"Bearer {login.json()['access_token']}"}, timeout=30)

    def _call(self, method: str, path: str, **json: object) -> dict:
        response = self.http.request(method, path, json=json)
        response.raise_for_status()
        return response.json()

    def create_room(self, invite: User, *, encrypted: bool = False) -> str:
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        return self._call("POST", "/createRoom", preset="private_chat", invite=[invite.user_id], is_direct=True,
                          initial_state=state if encrypted else [])["room_id"]

    def join(self, room_id: str) -> None:
        self._call("POST", f"/join/{room_id}")

    def leave(self, room_id: str) -> None:
        self._call("POST", f"/rooms/{room_id}/leave")

    def send(self, room_id: str, text: str, event_type: str = "m.room.message", content: dict | None = None) -> str:
        body = content or {"msgtype": "m.text", "body": text}
        return self._call("PUT", f"/rooms/{room_id}/send/{event_type}/{uuid.uuid4().hex}", **body)["event_id"]

    def texts(self, room_id: str) -> list[tuple[str, str]]:
        """(sender, body) of the room's messages, oldest first."""
        page = self.http.get(f"/rooms/{room_id}/messages", params={"dir": "b", "limit": 100})
        page.raise_for_status()
        return [(e["sender"], e["content"]["body"]) for e in reversed(page.json()["chunk"])
                if e["type"] == "m.room.message" and "body" in e.get("content", {})]
