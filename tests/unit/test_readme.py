"""The README documents every setting, so configuration never drifts from its description."""

from pathlib import Path

from settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [f"VIGIL_{name.upper()}" for name in Settings.model_fields
               if f"VIGIL_{name.upper()}" not in README]
    assert not missing, f"document these in README.md: {missing}"


def test_readme_names_the_two_setup_commands() -> None:
    assert "make up" in README and "make test" in README


def test_the_route_tables_are_the_permissions_table() -> None:
    from api.permissions import SECTIONS, readme_block, render

    for section in SECTIONS:
        assert readme_block(README, section) == render(section), (
            f"README.md's {section} route table differs from api/permissions.py: "
            "run `python -m api.permissions --write`")
