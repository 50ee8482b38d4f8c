from searchlib.coverage import DEGRADED_TIMEOUT, Coverage, aggregate


def test_full_coverage_when_every_node_answers():
    report = aggregate([Coverage(100, 100, 100, 0, 1), Coverage(50, 50, 50, 0, 1)], nodes_asked=2, timed_out=False)
    assert (report.coverage, report.documents, report.full, report.nodes, report.degraded) == (100, 150, True, 2, None)


def test_missing_node_is_estimated_and_degrades():
    report = aggregate([Coverage(100, 100, 100, 0, 1)], nodes_asked=2, timed_out=True)
    assert report.coverage == 50 and not report.full and report.nodes == 1
    assert report.degraded["timeout"] is True


def test_node_soft_timeout_is_reported():
    report = aggregate([Coverage(40, 100, 100, DEGRADED_TIMEOUT, 1)], nodes_asked=1, timed_out=False)
    assert report.coverage == 40 and report.degraded["timeout"] and not report.full


def test_unavailable_node_without_timeout_is_non_ideal_state():
    report = aggregate([Coverage(10, 10, 10, 0, 1)], nodes_asked=2, timed_out=False)
    assert report.coverage == 50 and report.degraded["non-ideal-state"] and not report.degraded["timeout"]
