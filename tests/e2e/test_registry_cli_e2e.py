"""The registry from the `lgsp` CLI against the `make run` host (R-JOIN-1, R-JOIN-5,
R-PROP-7): search without accents, import with a dry run, re-organise, send to a group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalHub
from tests.e2e.test_exchange_e2e import lgsp

pytestmark = pytest.mark.e2e
OPERATOR = "000.00.30.H99"


def app(hub: LocalHub, unit: str) -> dict[str, str]:
    return next(a for a in hub.apps if a["unit"] == unit)


def test_an_operator_imports_units_and_anyone_finds_them_without_accents(
        local_hub: LocalHub, tmp_path: Path) -> None:
    op, member = app(local_hub, OPERATOR), app(local_hub, "000.00.31.H99")
    found = lgsp(local_hub, member, "directory", "search", "so tai chinh").stdout
    assert "000.00.31.H99" in found
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n000.00.00.H96,UBND tỉnh Thử\n000.05.00.H96,Sai\n",
                   encoding="utf-8")
    report = lgsp(local_hub, op, "admin", "units", "import", str(bad), "--apply",
                  check=False)
    assert report.returncode == 1
    assert "row 2: 000.05.00.H96 level2: invalid_unit_code" in report.stdout
    assert "nothing written" in report.stdout
    good = tmp_path / "good.csv"
    good.write_text("code,name,short_name\n000.00.00.H96,Ủy ban nhân dân tỉnh Thử,UBND\n"
                    "000.00.07.H96,Sở Giáo dục và Đào tạo,SGDĐT\n"
                    "000.00.08.H96,Sở Y tế,SYT\n", encoding="utf-8")
    dry = lgsp(local_hub, op, "admin", "units", "import", str(good))
    assert "all rows are good (dry run" in dry.stdout
    assert "imported 3" in lgsp(local_hub, op, "admin", "units", "import", str(good),
                                "--apply").stdout
    hits = lgsp(local_hub, member, "directory", "search", "so giao duc dao tao").stdout
    assert hits.splitlines()[0].startswith("000.00.07.H96")
    refused = lgsp(local_hub, member, "admin", "units", "import", str(good), check=False)
    assert refused.returncode == 1 and "forbidden" in refused.stderr


def test_a_merge_from_the_cli_reroutes_what_is_sent_to_the_old_codes(
        local_hub: LocalHub, tmp_path: Path) -> None:
    op, member = app(local_hub, OPERATOR), app(local_hub, "000.00.31.H99")
    units = tmp_path / "units.csv"
    units.write_text("code,name\n000.00.00.H95,UBND tỉnh Hợp\n000.00.01.H95,Sở A\n"
                     "000.00.02.H95,Sở B\n", encoding="utf-8")
    lgsp(local_hub, op, "admin", "units", "import", str(units), "--apply")
    merged = lgsp(local_hub, op, "admin", "reorg", "apply", "merge", "000.00.01.H95",
                  "000.00.02.H95", "--successor", "000.00.03.H95=Sở A và B",
                  "--decision", "99/QĐ-UBND", "--decision-date", "2026-11-20",
                  "--effective", "2026-11-20")
    assert "merge applied" in merged.stdout
    shown = lgsp(local_hub, member, "directory", "show", "000.00.01.H95").stdout
    assert "dissolved" in shown
    doc = tmp_path / "cv.txt"
    doc.write_text("Công văn", encoding="utf-8")
    lgsp(local_hub, op, "groups", "create", "so-hop", "--name", "Sở đã hợp nhất",
         "--member", "000.00.03.H95")
    sent = lgsp(local_hub, member, "send", "--to", "000.00.01.H95", "--title", "Thử",
                str(doc))
    assert "000.00.01.H95 → 000.00.03.H95" in sent.stderr  # told which code received it
    status = json.loads(lgsp(local_hub, member, "status", sent.stdout.split()[0],
                             "--json").stdout)
    assert status["message"]["to"] == ["000.00.03.H95"]
    assert status["message"]["rerouted"] == {"000.00.01.H95": "000.00.03.H95"}
    assert "000.00.03.H95" in lgsp(local_hub, member, "groups", "show", "so-hop").stdout


def test_the_operator_lists_a_units_apps_from_the_cli(local_hub: LocalHub) -> None:
    op = app(local_hub, OPERATOR)
    listed = lgsp(local_hub, op, "admin", "apps", "list", "--unit", "000.00.32.H99").stdout
    assert app(local_hub, "000.00.32.H99")["app"] in listed
    assert app(local_hub, "000.00.32.H99")["secret_key"] not in listed
