"""The web process imports at startup what its first request would otherwise wait for."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_loading_the_wsgi_application_imports_every_view_and_the_broker_transport():
    probe = (
        "import sys, config.wsgi; "
        "print(all(m in sys.modules for m in "
        "('packages_app.api.views', 'components_app.api.views', 'registry.api.v0.views', "
        "'celery.app.task', 'kombu.transport.virtual')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
