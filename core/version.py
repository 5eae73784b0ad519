"""The product's name and version; the version is read from pyproject.toml, its one source."""

import tomllib

from core.config import PROJECT_ROOT

PRODUCT_NAME = "AdFlowAI"
VERSION: str = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["version"]
