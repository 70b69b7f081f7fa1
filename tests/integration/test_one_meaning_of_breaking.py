"""One meaning of breaking: `steward diff`, `POST /diff` and a change request agree on every case.

Every case of the diff specification (fixtures/diff/, reader level) goes through the three
doors: the CLI's JSON and exit code, the stateless `POST /diff`, and a change request proposed
on a product registered with the case's old schema. `breaking` (some change breaks readers)
and `unknown` (some change cannot be decided) are the same everywhere; the CLI exits 1, and a
change request waits for its notice period, exactly when either is true.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from service.cli import main
from tests.integration.conftest import Org

CASES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "diff").glob("*.yaml"))


def _cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in CASES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        if case.get("level", "reader") == "reader":
            found.append((path.stem, case))
    return found


def _cli(tmp: Path, name: str, case: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    suffix = ".yaml" if case.get("format") == "odcs" else ".sql"
    old, new = tmp / f"{name}.old{suffix}", tmp / f"{name}.new{suffix}"
    old.write_text(case["old"], encoding="utf-8")
    new.write_text(case["new"], encoding="utf-8")
    args = ["diff", str(old), str(new), "--dialect", case["dialect"], "--format", "json"]
    for hint in case.get("renames") or ():
        args += ["--rename", hint]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def _renames(case: dict[str, Any]) -> dict[str, str]:
    return dict(hint.split("=", 1) for hint in case.get("renames") or ())


def test_the_cli_post_diff_and_a_change_request_agree_on_every_case(
    org: Org, tmp_path: Path
) -> None:
    cases = _cases()
    assert any(c["changes"] and c["changes"][0]["verdict"] == "unknown" for _, c in cases)
    seen = set()
    for i, (name, case) in enumerate(cases):
        exit_code, cli = _cli(tmp_path, name, case)
        body = {"old": case["old"], "new": case["new"], "dialect": case["dialect"]}
        if case.get("renames"):
            body["renames"] = _renames(case)
        api = org.post("consumer", "/diff", body).json()
        product = f"spec.case_{i}"
        org.register(product, case["old"], dialect=case["dialect"])
        proposed = org.post(
            "owner",
            f"/products/{product}/change-requests",
            {"schema": case["new"], "summary": name, "renames": _renames(case) or None},
        )
        if not case["changes"]:
            assert proposed.status_code == 422, name
            assert (exit_code, cli["breaking"], cli["unknown"]) == (0, False, False), name
            continue
        assert proposed.status_code == 201, (name, proposed.text)
        cr = proposed.json()
        answers = {(d["bump"], d["breaking"], d["unknown"]) for d in (cli, api, cr)}
        assert len(answers) == 1, (name, answers)
        assert [c["kind"] for c in cli["changes"]] == [c["kind"] for c in cr["changes"]], name
        blocks = cli["breaking"] or cli["unknown"]
        assert exit_code == (1 if blocks else 0), name
        # Approved, a change request approved waits for its notice period exactly when the CLI blocks.
        approved = org.post("owner", f"/change-requests/{cr['id']}/approve").json()
        assert approved["state"] == ("scheduled" if blocks else "released"), name
        seen.add((cli["breaking"], cli["unknown"]))
    assert {(True, False), (False, True), (False, False)} <= seen
