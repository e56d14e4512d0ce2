"""An import inside a test fails that test only."""


def test_alarms():
    from lib.monitoring import alarms_for  # expect: TST005 (Medium)

    assert alarms_for("orders")
