"""The Vigil console: server-rendered pages (Jinja2) for the people Vigil serves.

This room holds what a browser is sent: `templates/` (the pages) and `static/` (our own small
CSS and JavaScript, no third-party code). The routes are in `api/routes/console*.py` and call
the same services, with the same role checks, as the API routes.
"""

from pathlib import Path

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
