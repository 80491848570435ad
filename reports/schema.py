"""The JSON Schema of report.json, generated from the pydantic models.

    python -m peakready.reports.schema           # rewrite reports/report.schema.json
    python -m peakready.reports.schema --check   # exit 1 when the committed file is stale

The committed file is what CI consumers read to parse report.json; a test
fails when it no longer matches the models, so the two cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from peakready.reports.model import REPORT_SCHEMA_VERSION, Report

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
SCHEMA_ID = "https://peakready.invalid/schemas/report.v{v}.json"  # a name, never fetched


def schema() -> dict[str, Any]:
    body = Report.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": SCHEMA_ID.format(v=REPORT_SCHEMA_VERSION),
            "x-schema-version": REPORT_SCHEMA_VERSION, **body}


def text() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    if "--check" in args:
        if current != text():
            print(f"{SCHEMA_PATH} is stale: run `python -m peakready.reports.schema`",
                  file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
