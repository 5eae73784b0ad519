"""Runs the three processes of `make run` side by side, and stops them all together."""

import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from cli.demo import DEMO_LOGIN, VIEWER_LOGIN
from core.config import PROJECT_ROOT, get_settings


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    command: list[str]
    url: str | None = None


def planned_services(*, with_api: bool, with_scheduler: bool) -> list[Service]:
    settings = get_settings()
    python = sys.executable
    services = [
        Service(
            "app",
            [
                python,
                "-m",
                "streamlit",
                "run",
                str(PROJECT_ROOT / "app.py"),
                "--server.address",
                settings.app_host,
                "--server.port",
                str(settings.app_port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            f"http://{settings.app_host}:{settings.app_port}",
        )
    ]
    if with_api and (PROJECT_ROOT / "core" / "api" / "__main__.py").exists():
        services.append(
            Service(
                "api",
                [python, "-m", "api", "--host", settings.api_host, "--port", str(settings.api_port)],
                f"http://{settings.api_host}:{settings.api_port}/docs",
            )
        )
    if with_scheduler and (PROJECT_ROOT / "scheduler" / "__main__.py").exists():
        services.append(Service("scheduler", [python, "-m", "scheduler"]))
    return services


def serve_all(*, with_api: bool = True, with_scheduler: bool = True) -> int:
    """Start every service, print where to find them, and stop them all on Ctrl-C or if one dies."""
    services = planned_services(with_api=with_api, with_scheduler=with_scheduler)
    processes = {s.name: subprocess.Popen(s.command, cwd=PROJECT_ROOT) for s in services}
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print("\nAdFlowAI is starting:")
    for service in services:
        print(f"  {service.name:<10} {service.url or 'running in the background'}")
    if not get_settings().is_production:
        print(
            f"  log in as  {DEMO_LOGIN[0]} / {DEMO_LOGIN[1]}  (viewer: {VIEWER_LOGIN[0]} / {VIEWER_LOGIN[1]})"
        )
    print("Press Ctrl-C to stop.\n", flush=True)
    exit_code = 0
    while not stopping:
        time.sleep(0.5)
        for name, process in processes.items():
            if process.poll() is not None:
                print(
                    f"{name} stopped (exit code {process.returncode}); stopping the others.", file=sys.stderr
                )
                exit_code = process.returncode or 1
                stopping = True
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + 10
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code
