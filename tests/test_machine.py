from nblib import machine


def test_describe_names_threads_torch_and_a_positive_measured_peak():
    line = machine.describe()
    assert "threads" in line and "torch" in line
    assert machine.matmul_peak_gflops(n=128, repeats=2) > 0
