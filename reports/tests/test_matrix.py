import matrix

FIG6 = [{"row": 2, "source": "patent"}, {"row": 3, "source": "patent"},
        {"row": 4, "source": "patent"}, {"row": 12, "source": "derived"}]


def test_row_from_path():
    assert matrix.row_of("scenarios/fig6/row4.yaml", "x") == 4
    assert matrix.row_of("scenarios/fig6/row4-reset-in-preboot.yaml", "x") == 4
    assert matrix.row_of("fig6/row12_b.yaml", "x") == 12


def test_row_prefix_does_not_match_a_longer_number():
    assert matrix.row_of("scenarios/fig6/row12.yaml", "x") == 12
    assert matrix.row_of("scenarios/fig6/row1x.yaml", "x") == 1
    assert matrix.row_of("scenarios/x/row4.yaml", "x") is None          # not under fig6/
    assert matrix.row_of("scenarios/fig6/sub/other.yaml", "x") is None
    assert matrix.row_of("scenarios/fig6x/row4.yaml", "x") is None


def test_row_from_name():
    assert matrix.row_of("scenarios/other.yaml", "fig6-row3") == 3
    assert matrix.row_of("scenarios/other.yaml", "fig6-row3-hung-os") == 3
    assert matrix.row_of("scenarios/other.yaml", "fig6-row13") == 13
    assert matrix.row_of("scenarios/other.yaml", "my-fig6-row3") is None
    assert matrix.row_of(None, None) is None


def test_row_verdict():
    assert matrix.row_verdict([]) == matrix.NOT_TESTED
    assert matrix.row_verdict(["PASS", "PASS"]) == matrix.PASS
    assert matrix.row_verdict(["PASS", "FAIL"]) == matrix.FAIL
    assert matrix.row_verdict(["PASS", "ERROR"]) == matrix.FAIL
    assert matrix.row_verdict([None]) == matrix.FAIL


def test_build_matrix():
    scenarios = [
        {"scenario": "scenarios/fig6/row2-refresh.yaml", "name": "a", "verdict": "PASS"},
        {"scenario": "scenarios/x.yaml", "name": "fig6-row2-more", "verdict": "PASS"},
        {"scenario": "scenarios/fig6/row3.yaml", "name": "b", "verdict": "PASS"},
        {"scenario": "scenarios/y.yaml", "name": "fig6-row3", "verdict": "FAIL"},
        {"scenario": "scenarios/fig6/row40.yaml", "name": "c", "verdict": "PASS"},
        {"scenario": "scenarios/smoke.yaml", "name": "smoke", "verdict": "FAIL"},
    ]
    rows = matrix.build(FIG6, scenarios)
    got = {r["row"]: (r["verdict"], len(r["scenarios"]), r["spec"] is not None) for r in rows}
    assert got == {2: ("PASS", 2, True), 3: ("FAIL", 2, True), 4: ("NOT-TESTED", 0, True),
                   12: ("NOT-TESTED", 0, True), 40: ("PASS", 1, False)}
    assert [r["row"] for r in rows] == [2, 3, 4, 12, 40]


def test_build_without_fig6_table_lists_named_rows_only():
    rows = matrix.build([], [{"scenario": "scenarios/fig6/row9.yaml", "name": "n", "verdict": "PASS"}])
    assert [(r["row"], r["verdict"]) for r in rows] == [(9, "PASS")]
