"""Progress where logs can see it: periodic lines when stderr is not a terminal, a bar
when it is, nothing with `--no-progress`."""

from __future__ import annotations

import io

from lgsp_client.progress import Bar, LogLines, Silent, meter

MiB = 1024 * 1024


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_every_ten_percent_with_size_and_rate() -> None:
    out, now = io.StringIO(), [100.0]
    with LogLines(100 * MiB, "upload", out, clock=lambda: now[0]) as shown:
        for _ in range(20):
            now[0] += 0.5
            shown.update(5 * MiB)
    lines = out.getvalue().splitlines()
    assert lines[0] == "upload 10% 10.0 MiB of 100.0 MiB 10.0 MiB/s"
    assert [line.split()[1] for line in lines] == [f"{p}%" for p in range(10, 101, 10)]
    assert lines[-1] == "upload 100% 100.0 MiB of 100.0 MiB 10.0 MiB/s"


def test_a_slow_transfer_still_prints_every_ten_seconds() -> None:
    out, now = io.StringIO(), [0.0]
    with LogLines(1000 * MiB, "download", out, clock=lambda: now[0]) as shown:
        for _ in range(3):
            now[0] += 10
            shown.update(MiB)
    assert out.getvalue().splitlines() == [
        "download 0% 1.0 MiB of 1000.0 MiB 0.1 MiB/s",
        "download 0% 2.0 MiB of 1000.0 MiB 0.1 MiB/s",
        "download 0% 3.0 MiB of 1000.0 MiB 0.1 MiB/s"]


def test_skipped_bytes_count_as_done_but_not_in_the_rate() -> None:
    out, now = io.StringIO(), [0.0]
    with LogLines(10 * MiB, "upload", out, initial=5 * MiB, clock=lambda: now[0]) as shown:
        now[0] += 1
        shown.update(5 * MiB)
    assert out.getvalue() == "upload 100% 10.0 MiB of 10.0 MiB 5.0 MiB/s\n"


def test_an_empty_transfer_prints_one_line_and_a_failed_one_no_final_line() -> None:
    out = io.StringIO()
    with LogLines(0, "upload", out, clock=lambda: 0.0):
        pass
    assert out.getvalue() == "upload 100% 0.0 MiB of 0.0 MiB 0.0 MiB/s\n"
    out = io.StringIO()
    try:
        with LogLines(10 * MiB, "upload", out, clock=lambda: 0.0) as shown:
            shown.update(MiB)
            raise RuntimeError
    except RuntimeError:
        pass
    assert "100%" not in out.getvalue()


def test_the_display_follows_the_stream() -> None:
    assert isinstance(meter(10, "upload", True, stream=io.StringIO()), LogLines)
    assert isinstance(meter(10, "upload", True, stream=Tty()), Bar)
    assert isinstance(meter(10, "upload", False, stream=Tty()), Silent)
