"""Run the backend locally, with no AWS account: `make serve` (= `python -m scripts.serve`).

1. checks the `local` stage's configuration from .chalice/config.json (as `python -m chalicelib.settings` would),
2. starts the AWS emulator on 127.0.0.1:$MOTO_PORT (default 5000): moto server through `python -m emulator.server`,
   which first installs `emulator.moto_dynamodb` (thread-safe DynamoDB, transactions that cost what they touch,
   ClientRequestToken; see docs/local-stack.md),
3. provisions every resource of infra/template.json into it with `infra.provision` (the production definition),
4. runs `chalice local --stage local --no-autoreload` on 127.0.0.1:$PORT (default 8000) with AWS_ENDPOINT_URL
   pointing at the emulator and fake credentials, and waits until GET /health is 200 with the table reachable.
   The API's PUBLIC_BASE_URL (the links in mails) is the served URL, and that origin is added to ALLOWED_ORIGINS,
   whatever PORT is (see `Stack.url_settings`).

Both servers run in their own process groups; Ctrl-C (SIGINT) or SIGTERM stops both and checks that nothing is
left listening on either port.  All AWS state (table items, objects, sent mail) lives in the emulator process:
it survives restarts of the API.  `kill -HUP <serve pid>` restarts only the API (e.g. after a code change), and
if the API process dies it is restarted; if the emulator dies, everything stops.

While `make serve` runs, .serve/stack.json holds the URLs and pids (`make mail` and `make tick` read it).  The
end-to-end tests start the same stack on free ports through `start()` (see tests/e2e/conftest.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGION = "eu-west-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
STATE_DIR = ROOT / ".serve"  # `make serve`: stack.json (URLs, pids) and moto.log while it runs
STACK_FILE_ENV = "SERVE_STACK"  # overrides where `make mail` / `make tick` look for stack.json
OVERRIDES_ENV = "SERVE_ENV_OVERRIDES"  # JSON: settings the API gets over .chalice/config.json (see chalice_local)
START_TIMEOUT = 45.0
STOP_TIMEOUT = 5.0


class ServeError(RuntimeError):
    """The stack could not be started (the message says why)."""


# -- helpers ------------------------------------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def is_listening(port: int, host: str = HOST) -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(predicate: Callable[[], bool], *, timeout: float, what: str,
               process: subprocess.Popen[bytes] | None = None, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise ServeError(f"{what}: the process exited with code {process.returncode}")
        time.sleep(interval)
    raise ServeError(f"{what}: not ready after {timeout:.0f} s")


def stage_env(stage: str = "local") -> dict[str, str]:
    """The environment chalice gives the app in `stage` (.chalice/config.json, global then stage values)."""
    from infra.provision import stage_environment

    return stage_environment(stage)


def check_configuration(env: dict[str, str]) -> None:
    """Fail with a message naming the setting, as `python -m chalicelib.settings` and the app's start-up do."""
    from chalicelib.policy import check_configuration as check_policy
    from chalicelib.secrets import MIN_LENGTH, REQUIRED
    from chalicelib.settings import ConfigurationError, load_settings

    try:
        settings = load_settings(env)
        check_policy(settings)
    except ConfigurationError as error:
        raise ServeError(str(error)) from None
    if settings.secrets_source == "env":
        for name in REQUIRED:
            if len(env.get(name.value, "")) < MIN_LENGTH:
                raise ServeError(f"invalid configuration: {name.value}: missing or shorter than {MIN_LENGTH} "
                                 "characters")


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (local http only)
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()
    except (OSError, urllib.error.URLError):
        return 0, b""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGTERM if this process dies without stopping it (e.g. SIGKILL)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = STOP_TIMEOUT) -> None:
    """Stop a child and its whole process group: SIGTERM, then SIGKILL after `timeout` seconds."""
    if process is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
            break
        except subprocess.TimeoutExpired:
            continue
    # Anything else left in the group (it is the child's own group: start_new_session=True).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# -- the stack ----------------------------------------------------------------------------------------------------

@dataclass
class Stack:
    """The emulator + the API.  `api`, `moto`, `env` and `client()` are what tests use."""

    api_port: int
    moto_port: int
    stage: str = "local"
    log_dir: Path | None = None  # each process writes <log_dir>/<name>.log; None: inherit the terminal
    terminal: tuple[str, ...] = ()  # names ("api", "moto") whose output goes to the terminal anyway
    extra_origins: tuple[str, ...] = ()  # more ALLOWED_ORIGINS (the browser tests' storefront); `make serve`: none
    overrides: dict[str, str] = field(default_factory=dict)  # settings over the stage's (`make load`: BITPAY_API_BASE)
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    moto_process: subprocess.Popen[bytes] | None = None
    api_process: subprocess.Popen[bytes] | None = None
    pump_process: subprocess.Popen[bytes] | None = None  # the intake queue's consumer (scripts/pump.py)
    launched: bool = False  # something was started on the ports (so stop() must leave them free)
    _logs: list[IO[bytes]] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def moto(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def mail_url(self) -> str:
        return f"{self.moto}/moto-api/data.json"

    def client(self, service: str) -> Any:
        """A boto3 client on the emulator (fake credentials, the stack's region)."""
        import boto3
        from botocore.config import Config

        session: Any = boto3.session.Session()
        return session.client(
            service, region_name=REGION, endpoint_url=self.moto,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2, "mode": "standard"}),
        )

    # -- environment of the children ------------------------------------------------------------------------
    def _base_environment(self) -> dict[str, str]:
        # No real AWS: drop every AWS_* setting of the caller (profiles, tokens, endpoints).
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(FAKE_CREDENTIALS)
        env.update(AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true",
                   PYTHONUNBUFFERED="1")
        return env

    def url_settings(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """What follows the served port: PUBLIC_BASE_URL (links in mails) is the API's URL, and the API's origin is
        one of ALLOWED_ORIGINS (the others from the configuration are kept, `extra_origins` are added); and the
        store's policy file when the caller names one (STORE_POLICY), over the stage's default."""
        source = self.env if env is None else env
        origins = [origin.strip() for origin in source.get("ALLOWED_ORIGINS", "").split(",") if origin.strip()]
        for origin in (self.api, *self.extra_origins):
            if origin not in origins:
                origins.append(origin)
        served = {"PUBLIC_BASE_URL": self.api, "ALLOWED_ORIGINS": ",".join(origins)}
        if os.environ.get("STORE_POLICY"):  # `make serve STORE_POLICY=policies/jetrack.toml`: another store
            served["STORE_POLICY"] = os.environ["STORE_POLICY"]
        return {**served, **self.overrides}

    def api_environment(self) -> dict[str, str]:
        """The API process's environment.  `chalice local` puts the stage's configuration over the environment it
        is given, so the served URL settings also travel in SERVE_ENV_OVERRIDES, which `chalice_local` applies
        after it."""
        env = self._base_environment()
        env.update(self.env)
        env["AWS_ENDPOINT_URL"] = self.moto
        env[OVERRIDES_ENV] = json.dumps(self.url_settings())
        return env

    def _output(self, name: str, mode: str) -> IO[bytes] | None:
        if self.log_dir is None or name in self.terminal:
            return None  # inherit the terminal
        self.log_dir.mkdir(parents=True, exist_ok=True)
        handle = (self.log_dir / f"{name}.log").open(mode)
        self._logs.append(handle)
        return handle

    def _spawn(self, argv: list[str], env: dict[str, str], name: str, mode: str = "ab") -> subprocess.Popen[bytes]:
        output = self._output(name, mode)
        return subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT if output else None,
            start_new_session=True,  # own process group: stopped as a whole, immune to the terminal's Ctrl-C
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )

    def log_tail(self, name: str, lines: int = 30) -> str:
        if self.log_dir is None or not (self.log_dir / f"{name}.log").exists():
            return ""
        return "\n".join((self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])

    # -- lifecycle ------------------------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> Stack:
        """Check the configuration, start the emulator, provision it, start the API; stop all on failure."""
        if not self.env:
            self.env = stage_env(self.stage)
        self.env.update(self.url_settings())  # `env` is what the API runs with
        check_configuration(self.env)
        for port in (self.moto_port, self.api_port):
            if is_listening(port):
                raise ServeError(f"port {port} on {HOST} is already in use (set PORT / MOTO_PORT)")
        try:
            self.start_emulator(timeout)
            self.provision()
            self.start_api(timeout)
            self.start_pump()
        except BaseException:
            self.stop()
            raise
        return self

    def start_emulator(self, timeout: float = START_TIMEOUT) -> None:
        argv = [sys.executable, "-m", "emulator.server", "-H", HOST, "-p", str(self.moto_port)]
        self.launched = True
        self.moto_process = self._spawn(argv, self._base_environment(), "moto", mode="wb")
        try:
            wait_until(lambda: is_listening(self.moto_port), timeout=timeout, what=f"emulator on {self.moto}",
                       process=self.moto_process)
        except ServeError as error:
            raise ServeError(f"{error}\n{self.log_tail('moto')}") from None

    def provision(self) -> dict[str, str]:
        """Create every resource of infra/template.json in the emulator (harmless when they exist)."""
        from infra.provision import provision

        self.outputs = provision(stage=self.stage, endpoint=self.moto, region=REGION)
        return self.outputs

    def start_api(self, timeout: float = START_TIMEOUT) -> None:
        cli = [sys.executable, "-c", "import sys; from scripts.serve import chalice_local; sys.exit(chalice_local())"]
        argv = [*cli, "local", "--stage", self.stage, "--no-autoreload", "--host", HOST, "--port", str(self.api_port)]
        self.api_process = self._spawn(argv, self.api_environment(), "api")
        try:
            wait_until(self.healthy, timeout=timeout, what=f"API on {self.api}/health", process=self.api_process,
                       interval=0.2)
        except ServeError as error:
            raise ServeError(f"{error}\n{self.log_tail('api')}") from None

    def start_pump(self) -> None:
        """Lambda's SQS event source mapping, locally: deliver the intake queue to `privacy_intake` (chalice local
        serves HTTP only).  Same environment as the API, so links in its mails follow the served port too."""
        self.pump_process = self._spawn([sys.executable, "-m", "scripts.pump"], self.api_environment(), "pump")

    def pump_running(self) -> bool:
        return self.pump_process is not None and self.pump_process.poll() is None

    def healthy(self) -> bool:
        status, body = http_get(f"{self.api}/health")
        if status != 200:
            return False
        try:
            return bool(json.loads(body).get("table") == "reachable")
        except ValueError:
            return False

    def restart_api(self, timeout: float = START_TIMEOUT) -> None:
        """Restart only the API (new code, fresh process); the emulator and its state are kept."""
        stop_process(self.api_process)
        self.api_process = None
        wait_until(lambda: not is_listening(self.api_port), timeout=STOP_TIMEOUT, what=f"port {self.api_port} freed")
        self.start_api(timeout)

    def stop(self) -> None:
        """Stop the API, then the emulator (their whole process groups); wait until both ports are free."""
        stop_process(self.pump_process)
        stop_process(self.api_process)
        stop_process(self.moto_process)
        self.api_process = self.moto_process = self.pump_process = None
        for handle in self._logs:
            handle.close()
        self._logs.clear()
        with contextlib.suppress(ServeError):
            wait_until(self.ports_free, timeout=STOP_TIMEOUT, what="ports freed")

    def ports_free(self) -> bool:
        return not is_listening(self.api_port) and not is_listening(self.moto_port)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(*, port: int | None = None, moto_port: int | None = None, stage: str = "local",
          log_dir: Path | None = None, timeout: float = START_TIMEOUT, extra_origins: tuple[str, ...] = (),
          overrides: dict[str, str] | None = None) -> Stack:
    """Start the whole stack (free ports when none are given) and return it, ready (/health is 200).

    `extra_origins` are allowed by the API's CORS check besides the configured ALLOWED_ORIGINS and the API's own
    origin (the browser tests pass their storefront's origin, a free port); `make serve` passes none.
    `overrides` are settings put over the stage's (`make load` points BITPAY_API_BASE at a fake on 127.0.0.1).

    A port picked here may be taken by someone else before the server binds it: then it retries on new ports.
    """
    attempts = 1 if port and moto_port else 3
    for attempt in range(1, attempts + 1):
        stack = Stack(api_port=port or free_port(), moto_port=moto_port or free_port(), stage=stage, log_dir=log_dir,
                      extra_origins=tuple(extra_origins), overrides=dict(overrides or {}))
        while stack.api_port == stack.moto_port:
            stack.moto_port = free_port()
        try:
            return stack.start(timeout)
        except ServeError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


def chalice_local() -> int:
    """`chalice ...` (the CLI, arguments from sys.argv), with the settings in $SERVE_ENV_OVERRIDES put over the
    stage's environment variables from .chalice/config.json, which chalice itself writes over the environment."""
    from chalice.cli import factory, main

    overrides = json.loads(os.environ.pop(OVERRIDES_ENV, "") or "{}")
    load = factory.CLIFactory.load_chalice_app

    def load_chalice_app(self: Any, environment_variables: Any = None, validate_feature_flags: Any = True) -> Any:
        return load(self, {**(environment_variables or {}), **overrides}, validate_feature_flags)

    factory.CLIFactory.load_chalice_app = load_chalice_app  # type: ignore[method-assign]
    return int(main() or 0)


# -- `make serve` -------------------------------------------------------------------------------------------------

class _Stop(Exception):  # a signal, not an error
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _banner(stack: Stack, state_dir: Path) -> str:
    return "\n".join([
        "",
        "privacy-backend is running (stage local, no AWS account needed):",
        f"  API        {stack.api}          try: curl {stack.api}/health",
        f"  emulator   {stack.moto}          AWS_ENDPOINT_URL for boto3 / the AWS CLI (fake credentials)",
        f"  sent mail  {stack.mail_url}   (ses.Message / ses.RawMessage)",
        f"  resources  {json.dumps(stack.outputs)}",
        f"  emulator log {state_dir / 'moto.log'}",
        f"State lives in the emulator process. kill -HUP {os.getpid()} restarts only the API; Ctrl-C stops both.",
        "",
    ])


def write_state(stack: Stack, state_dir: Path) -> Path:
    """<state_dir>/stack.json: where the running stack is (what `make mail` and `make tick` read)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path, partial = state_dir / "stack.json", state_dir / "stack.json.partial"
    partial.write_text(json.dumps({
        "pid": os.getpid(), "api": stack.api, "moto": stack.moto, "mail": stack.mail_url,
        "api_pid": stack.api_process.pid if stack.api_process else None,
        "moto_pid": stack.moto_process.pid if stack.moto_process else None,
        "pump_pid": stack.pump_process.pid if stack.pump_process else None, "outputs": stack.outputs,
        "settings": stack.url_settings(),
    }, indent=2))
    partial.replace(path)  # readers never see half a file
    return path


def running_stack(moto_port: str | None = None) -> dict[str, Any] | None:
    """The stack `make serve` wrote to stack.json ($SERVE_STACK, default .serve/stack.json) if it still runs (its
    emulator answers), and if `moto_port` is given, only when it is that stack's emulator port; else None."""
    path = Path(os.environ.get(STACK_FILE_ENV) or STATE_DIR / "stack.json")
    try:
        state: dict[str, Any] = json.loads(path.read_text())
        port = int(str(state["moto"]).rsplit(":", 1)[1])
    except (OSError, ValueError, KeyError, IndexError):
        return None
    if moto_port is not None and str(port) != str(moto_port):
        return None
    return state if is_listening(port) else None


def supervise(stack: Stack, restart_requested: Callable[[], bool], state_dir: Path) -> None:
    """Run until a signal: restart the API on request or when it dies; give up when the emulator dies."""
    crashes: list[float] = []
    while True:
        time.sleep(0.5)
        if stack.moto_process is None or stack.moto_process.poll() is not None:
            raise ServeError("the emulator exited; its state is gone. Run `make serve` again.")
        if restart_requested():
            print("serve: restarting the API and the intake pump (emulator state kept)", flush=True)
            stop_process(stack.pump_process)
            stack.restart_api()
            stack.start_pump()
            write_state(stack, state_dir)
        elif not stack.pump_running():
            print("serve: the intake pump exited; restarting it", flush=True)
            stack.start_pump()
            write_state(stack, state_dir)
        elif stack.api_process is None or stack.api_process.poll() is not None:
            now = time.monotonic()
            crashes = [t for t in crashes if now - t < 60] + [now]
            if len(crashes) > 3:
                raise ServeError("the API keeps exiting; see its output above")
            print("serve: the API exited; restarting it (emulator state kept)", flush=True)
            stack.restart_api()
            write_state(stack, state_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the backend locally on the AWS emulator.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 5000))
    parser.add_argument("--stage", default="local")
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR, help="where stack.json and moto.log go")
    args = parser.parse_args(argv)
    state_dir: Path = args.state_dir

    restart = {"requested": False}

    def on_stop(signum: int, _frame: FrameType | None) -> None:
        raise _Stop(signum)

    def on_hup(_signum: int, _frame: FrameType | None) -> None:
        restart["requested"] = True

    def restart_requested() -> bool:
        requested, restart["requested"] = restart["requested"], False
        return requested

    signal.signal(signal.SIGINT, on_stop)  # also when started in the background (SIGINT ignored by default)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGHUP, on_hup)

    # The API's log goes to the terminal; the emulator's request log to .serve/moto.log.
    stack = Stack(api_port=args.port, moto_port=args.moto_port, stage=args.stage, log_dir=state_dir,
                  terminal=("api",))
    code = 0
    try:
        print(f"serve: starting the emulator on {stack.moto} and the API on {stack.api} ...", flush=True)
        stack.start()
        write_state(stack, state_dir)
        print(_banner(stack, state_dir), flush=True)
        supervise(stack, restart_requested, state_dir)
    except _Stop as stop:
        print(f"\nserve: {stop}: stopping the API and the emulator", flush=True)
    except ServeError as error:
        print(f"serve: {error}", file=sys.stderr, flush=True)
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the clean-up
        stack.stop()
        started = stack.launched
        (state_dir / "stack.json").unlink(missing_ok=True)
        busy: list[int] = []
        if started:
            busy = [port for port in (stack.api_port, stack.moto_port) if is_listening(port)]
        if busy:
            print(f"serve: ports still in use after stopping: {busy}", file=sys.stderr, flush=True)
            code = 1
        elif started:
            print(f"serve: stopped; ports {stack.api_port} and {stack.moto_port} are free", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
