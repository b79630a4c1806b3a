"""The live benchmark's pure parts (benchmarks/live.py): percentiles, summaries and the report's shape."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.live import GOAL_HIT_P90_MS, path_report, percentile, report, summary


@pytest.mark.parametrize("p", [0, 50, 90, 100])
def test_percentile_interpolates_between_ranks_as_numpy_does(p):
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 7.0, 6.0, 9.0, 8.0]
    assert percentile(values, p) == pytest.approx(np.percentile(values, p))
    assert percentile([42.0], p) == 42.0


def test_summary_is_in_milliseconds_and_none_without_runs():
    assert summary([0.010, 0.020, 0.030]) == {"median_ms": 20.0, "p90_ms": 28.0, "min_ms": 10.0, "max_ms": 30.0,
                                              "runs": 3}
    assert summary([]) is None


def test_the_report_summarises_each_outcome_and_part_and_checks_the_hit_goal():
    live = path_report({"hit": [{"total": 0.050, "delivery": 0.004, "predraft": 0.046}] * 3,
                        "miss": [{"total": 2.0, "delivery": 0.005, "predraft": 1.995}]})
    export = path_report({"hit": [{"total": 0.2}], "miss": []})
    assert export == {"hit": {"total": summary([0.2])}, "miss": {}}
    counts = {"live_matrix": {"no_prediction": 0, "no_candidates": 1}}
    shown = report({"cores": 2}, "gemma", {"candidates": 3}, live, export, [0.003], [0.06], counts)
    assert set(shown) == {"machine", "model", "settings", "live_matrix", "export_refresh", "sync_long_poll",
                          "export_notify_watchfiles", "counts", "goals"}
    assert set(shown["live_matrix"]["hit"]) == {"total", "delivery", "predraft"}
    assert shown["live_matrix"]["hit"]["total"]["p90_ms"] == 50.0
    assert shown["goals"] == {f"live_hit_p90_under_{GOAL_HIT_P90_MS}_ms": True}
    slow = path_report({"hit": [{"total": 0.150}], "miss": []})
    assert not any(report({}, "", {}, slow, export, [], [], {})["goals"].values())
    assert report({}, "", {}, {}, {}, [], [], {})["goals"] == {f"live_hit_p90_under_{GOAL_HIT_P90_MS}_ms": False}
