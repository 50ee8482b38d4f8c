"""searchlib/stop_progress.py: what a stopping content node reports and its launcher reads."""
from __future__ import annotations

import os
import time

from searchlib.stop_progress import PROGRESS_FILE, advance, read_progress, reporting, work_done


def test_a_report_carries_the_pid_and_moves_only_with_the_work(tmp_path):
    with reporting(tmp_path, interval=0.02):
        time.sleep(0.1)
        first = read_progress(tmp_path, os.getpid())
        assert first == work_done()
        time.sleep(0.1)
        assert read_progress(tmp_path, os.getpid()) == first, "reports alone are no progress"
        advance(3)
        time.sleep(0.1)
        assert read_progress(tmp_path, os.getpid()) == first + 3
        assert read_progress(tmp_path, os.getpid() + 1) is None, "another process's report (a reused data dir)"
    assert not (tmp_path / PROGRESS_FILE).exists() and read_progress(tmp_path, os.getpid()) is None


def test_a_damaged_or_missing_report_reads_as_none(tmp_path):
    assert read_progress(tmp_path, 1) is None
    (tmp_path / PROGRESS_FILE).write_text('{"pid": 1, "do')
    assert read_progress(tmp_path, 1) is None
    (tmp_path / PROGRESS_FILE).write_text('[1]')
    assert read_progress(tmp_path, 1) is None
