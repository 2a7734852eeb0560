"""Structured logs: one JSON object per record, carrying the complaint, event and correlation ids."""

from __future__ import annotations

import json
import logging

from suara_kit.log import JsonFormatter


def test_a_log_record_becomes_one_json_line_with_its_context_fields() -> None:
    record = logging.LogRecord("suara_intake.handlers", logging.WARNING, __file__, 1, "sent %d", (3,), None)
    record.complaint_id = "c-1"
    record.event_id = "e-1"
    record.correlation_id = "r-1"
    record.unrelated = "not logged"

    line = JsonFormatter("suara-intake").format(record)

    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "sent 3"
    assert entry["level"] == "WARNING"
    assert entry["service"] == "suara-intake"
    assert entry["logger"] == "suara_intake.handlers"
    assert (entry["complaint_id"], entry["event_id"], entry["correlation_id"]) == ("c-1", "e-1", "r-1")
    assert "unrelated" not in entry
    assert entry["time"].endswith("+00:00")


def test_indonesian_text_is_logged_as_is() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "aduan diteruskan ke Dinas Perkim – “segera”", (), None)

    assert "“segera”" in JsonFormatter("suara-router").format(record)


def test_records_go_to_the_stderr_of_the_moment_not_a_closed_earlier_one(capsys) -> None:
    import io
    import logging
    import sys

    from suara_kit import log as suara_log

    earlier = io.StringIO()
    real, sys.stderr = sys.stderr, earlier
    try:
        suara_log.configure("suara-test")
    finally:
        sys.stderr = real
    earlier.close()  # e.g. a test's captured stream, gone since

    logging.getLogger("suara.test").warning("still written")

    err = capsys.readouterr().err
    assert "still written" in err
    assert "Logging error" not in err
    logging.getLogger().handlers.clear()
