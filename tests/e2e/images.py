"""Build a generated project's Dockerfile and run the image, with Debian's buildah and podman
(docs/templates.md, "The e2e harness"): vfs storage, chroot isolation, runc, and local stand-ins
for the base images, as no registry is reachable from the test machines.

The stand-ins (Debian's Python for ``python:*``, a ``FROM scratch`` image holding this
environment's ``uv`` binary for ``ghcr.io/astral-sh/uv:*``) and the image store live in a cache
folder reused across runs (``MLSCAFFOLD_IMAGE_CACHE``, default ``~/.cache/mlscaffold-e2e-images``);
each project's image is removed after its check, the stand-ins stay.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tarfile
import time
import tomllib
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .helpers import REAL_HOME

KEY = "e2e_image"  # user_properties entry: (template, size in MB)
TOOLS = ("buildah", "podman", "runc", "debootstrap")
CACHE = Path(
    os.environ.get("MLSCAFFOLD_IMAGE_CACHE", REAL_HOME / ".cache" / "mlscaffold-e2e-images")
)
BUILD_TIMEOUT = int(os.environ.get("MLSCAFFOLD_E2E_BUILD_TIMEOUT", "1800"))
SUITE = "bookworm"
PYTHON_PACKAGES = "python3,python3-venv,python3-pip,ca-certificates"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Prints, from the image's `python`, its marker environment and every installed distribution's
# requirements, as JSON (standard library only: the image need not hold pip or packaging).
CONTENTS = """
import importlib.metadata as m, json, os, platform, sys
v = sys.implementation.version
env = {"implementation_name": sys.implementation.name,
       "implementation_version": f"{v.major}.{v.minor}.{v.micro}", "os_name": os.name,
       "platform_machine": platform.machine(), "platform_release": platform.release(),
       "platform_system": platform.system(), "platform_version": platform.version(),
       "platform_python_implementation": platform.python_implementation(),
       "python_full_version": platform.python_version(),
       "python_version": ".".join(platform.python_version_tuple()[:2]),
       "sys_platform": sys.platform}
dists = {d.metadata["Name"]: d.requires or [] for d in m.distributions()}
print(json.dumps({"env": env, "dists": dists}))
"""


def tools_missing() -> str | None:
    """Why images cannot be built here, or None when they can."""
    if os.geteuid() != 0:
        return "building images needs root here (buildah/podman with vfs storage, as in CI)"
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        return f"{', '.join(missing)} not installed (Debian: apt-get install {' '.join(missing)})"
    return None


def _run(args: list[str], *, timeout: int = 600, env: dict | None = None, **kw) -> str:
    """Run ``args``; AssertionError with the output's tail when it fails."""
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=env, **kw
        )
    except subprocess.TimeoutExpired as exc:
        out = ((exc.stdout or b"") + (exc.stderr or b"")).decode(errors="replace")[-6000:]
        raise AssertionError(f"{' '.join(args)} ran over {timeout} s:\n{out}") from None
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{output}"
    return result.stdout


class Store:
    """One buildah/podman image store under ``root`` (vfs), shared by the builds of a run."""

    def __init__(self, root: Path = CACHE) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.conf = root / "containers.conf"
        self.conf.write_text("[containers]\ndefault_ulimits = []\n", "utf-8")
        self.flags = ["--storage-driver", "vfs", "--root", str(root / "store"),
                      "--runroot", str(root / "run")]  # fmt: skip
        self.env = os.environ | {"CONTAINERS_CONF": str(self.conf)}

    def podman(self, *args: str, timeout: int = 600, **kw) -> str:
        return _run(["podman", *self.flags, *args], timeout=timeout, env=self.env, **kw)

    def has(self, image: str) -> bool:
        args = ["podman", *self.flags, "image", "exists", image]
        return subprocess.run(args, env=self.env, capture_output=True).returncode == 0

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One build at a time in this store (xdist workers share it)."""
        with (self.root / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def base_images(dockerfile: Path) -> set[str]:
    """The images a Dockerfile starts from or copies from (its own stage names left out)."""
    stages, images = set(), set()
    for line in dockerfile.read_text("utf-8").splitlines():
        if match := re.match(r"\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", line, re.I):
            images.add(match[1])
            stages.add((match[2] or "").lower())
        images.update(re.findall(r"COPY\s+.*--from=(\S+)", line, re.I))
    return {image for image in images if image.lower() not in stages}


def _python_rootfs() -> Path:
    """Debian's Python in a minimal root file system (debootstrap, once per cache)."""
    rootfs = CACHE / f"python-{SUITE}"
    if (rootfs / "usr" / "local" / "bin" / "python").exists():
        return rootfs
    shutil.rmtree(rootfs, ignore_errors=True)
    sources = Path("/etc/apt/sources.list.d/debian.sources")  # the mirror apt already uses
    text = sources.read_text("utf-8") if sources.is_file() else ""
    found = re.search(r"^URIs:\s*(\S+)", text, re.M)
    mirror = found[1] if found else "http://deb.debian.org/debian"
    _run(["debootstrap", "--variant=minbase", f"--include={PYTHON_PACKAGES}", SUITE,
          str(rootfs), mirror], timeout=1800)  # fmt: skip
    shutil.copy(CA_BUNDLE, rootfs / "etc" / "ssl" / "certs" / CA_BUNDLE.name)
    (rootfs / "usr" / "local" / "bin" / "python").symlink_to("/usr/bin/python3")
    return rootfs


def _import_tree(store: Store, folder: Path, image: str, changes: list[str]) -> None:
    """Import the files under ``folder`` as the single-layer image ``image``."""
    archive = store.root / "import.tar"
    with tarfile.open(archive, "w") as tar:
        for entry in sorted(folder.iterdir()):
            tar.add(entry, arcname=entry.name)
    try:
        flags = [arg for change in changes for arg in ("--change", change)]
        store.podman("import", *flags, str(archive), image, timeout=900)
    finally:
        archive.unlink(missing_ok=True)


def _uv_binary() -> str:
    """This environment's uv binary (from the uv wheel, as in .ci/run)."""
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
        assert found, "the uv stand-in copies this environment's uv binary: pip install uv"
        return found
    return find_uv_bin()


def provide_base(store: Store, image: str) -> None:
    """Tag a local stand-in as ``image`` (python:* or ghcr.io/astral-sh/uv:*) unless present."""
    if store.has(image):
        return
    if re.fullmatch(r"(docker\.io/)?(library/)?python:[\w.-]+", image):
        env = f"ENV SSL_CERT_FILE=/etc/ssl/certs/{CA_BUNDLE.name}"
        _import_tree(store, _python_rootfs(), image, [env, 'CMD ["python3"]'])
    elif re.fullmatch(r"ghcr\.io/astral-sh/uv:[\w.-]+", image):
        uv = _uv_binary()
        folder = store.root / "uv-image"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        shutil.copy(uv, folder / "uv")
        _import_tree(store, folder, image, [])
    else:
        raise AssertionError(f"no local stand-in for the base image {image}: add one to {__file__}")


def build(store: Store, project: Path, tag: str) -> None:
    """Build ``project``'s Dockerfile as ``tag`` (the base images' stand-ins first)."""
    for image in sorted(base_images(project / "Dockerfile")):
        provide_base(store, image)
    _run(["buildah", *store.flags, "bud", "--isolation", "chroot", "--network", "host",
          "--format", "docker", "-t", tag, "."],
         timeout=BUILD_TIMEOUT, env=store.env, cwd=project)  # fmt: skip


def size_mb(store: Store, tag: str) -> float:
    """The image's size in MB (10^6 bytes), as ``podman images`` counts it."""
    return int(store.podman("image", "inspect", "--format", "{{.Size}}", tag)) / 1e6


def contents(store: Store, tag: str) -> dict:
    """The image's marker environment and installed distributions with their requirements."""
    out = store.podman("run", "--rm", "--runtime", "runc", "--network", "none", tag,
                       "python", "-c", CONTENTS)  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def runtime_requirements(project: Path) -> tuple[str, list[str]]:
    """The project's distribution name and [project] dependencies (what its image installs)."""
    table = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]
    return table["name"], table.get("dependencies", [])


def not_needed(found: dict, name: str, requirements: list[str]) -> set[str]:
    """The distributions in the image (``contents``) that neither the project nor its
    [project] dependencies need, transitively: extras, training or test libraries."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    installed = {canonicalize_name(d): reqs for d, reqs in found["dists"].items()}
    needed, expanded = {canonicalize_name(name)}, set()
    todo = [(Requirement(line), "") for line in requirements]
    while todo:
        requirement, extra = todo.pop()
        marker = requirement.marker
        if marker and not marker.evaluate(found["env"] | {"extra": extra}):
            continue
        dist = canonicalize_name(requirement.name)
        if dist not in installed:
            continue
        needed.add(dist)
        for wanted in ("", *requirement.extras):
            if (dist, wanted) not in expanded:
                expanded.add((dist, wanted))
                todo += [(Requirement(line), wanted) for line in installed[dist]]
    return set(installed) - needed


def _command(store: Store, tag: str, port: int) -> list[str]:
    """The image's own CMD, listening on 127.0.0.1:``port`` instead of 0.0.0.0:8000."""
    config = json.loads(store.podman("image", "inspect", "--format", "{{json .Config}}", tag))
    command = list(config["Cmd"])
    assert "--port" in command and "--host" in command, f"the image's CMD takes no port: {command}"
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"
    return command


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running(store: Store, tag: str, port: int, timeout: float = 120) -> Iterator[str]:
    """Run the image (its CMD, on 127.0.0.1:``port``, host network); yield its base URL; stop it."""
    container = store.podman("run", "-d", "--runtime", "runc", "--network", "host", tag,
                             *_command(store, tag, port)).strip()  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(f"{base}/health"):
            state = store.podman("inspect", "--format", "{{.State.Status}}", container).strip()
            logs = lambda: store.podman("logs", container)[-3000:]  # noqa: E731
            assert state == "running", f"the container stopped ({state}):\n{logs()}"
            assert time.monotonic() < deadline, f"no healthy /health in {timeout} s:\n{logs()}"
            time.sleep(0.5)
        yield base
    finally:
        subprocess.run(["podman", *store.flags, "rm", "-f", "-t", "10", container],
                       env=store.env, capture_output=True, timeout=120)  # fmt: skip


def remove(store: Store, tag: str) -> None:
    """Remove the project's image and the build layers only it used (the stand-ins stay)."""
    subprocess.run(["podman", *store.flags, "rmi", "-f", tag], env=store.env, capture_output=True)
    subprocess.run(["buildah", *store.flags, "rm", "--all"], env=store.env, capture_output=True)
    subprocess.run(["podman", *store.flags, "image", "prune", "-f"], env=store.env,
                   capture_output=True)  # fmt: skip


def sizes(reports: Iterable[object]) -> dict[str, float]:
    """The image sizes (MB) the tests in ``reports`` recorded, by template."""
    found = {}
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == KEY:
                found[value[0]] = value[1]
    return found
