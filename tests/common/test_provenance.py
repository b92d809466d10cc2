"""`common.provenance`: the run record's provenance block and its pieces."""

import re

from common.provenance import (
    RUN_DISTS,
    cpu_kernels,
    cpu_name,
    git_commit,
    load_average,
    numpy_simd,
    provenance,
    versions,
)


def test_provenance_block():
    prov = provenance()
    assert set(prov) == {"versions", "git_commit", "device", "argv", "time_utc"}
    assert list(prov["versions"]) == ["python", *RUN_DISTS]
    assert prov["device"]["cpu"] == cpu_name() and prov["device"]["platform"]
    # the kernels that decide float rounding (NumPy's OpenBLAS: e.g. Haswell or SkylakeX)
    kernels = prov["device"]["kernels"]
    assert kernels["openblas"] not in ("", "None")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["time_utc"])
    commit = git_commit()
    assert commit is None or re.fullmatch(r"[0-9a-f]{40}", commit)


def test_kernels_name_torchs_capability_once_torch_is_loaded():
    import torch

    assert cpu_kernels()["torch"] == torch.backends.cpu.get_cpu_capability()


def test_kernels_name_numpys_simd_targets_of_its_float64_loops():
    from numpy.lib.introspect import opt_func_info

    exp = opt_func_info(func_name="^exp$", signature="float64")["exp"]["dd"]["current"]
    simd = cpu_kernels()["numpy"]
    assert simd == numpy_simd()
    assert exp in simd.split("+") or simd == exp  # e.g. 'X86_V3' on AVX2, 'baseline(...)' bare


def test_versions_installed_or_runtime():
    import numpy as np

    assert versions("numpy", python=False) == {"numpy": np.__version__}
    assert versions("numpy", python=False, runtime=True) == {"numpy": np.__version__}
    assert versions("no-such-dist-xyz", python=False) == {"no-such-dist-xyz": None}
    assert versions("no_such_module_xyz", python=False, runtime=True) == {
        "no_such_module_xyz": None
    }


def test_load_average():
    load = load_average()
    assert load is None or load >= 0.0


def test_a_cpu_is_named_by_its_model(monkeypatch, tmp_path):
    import builtins
    import types

    from common import provenance as prov

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\n")
    real_open = builtins.open
    monkeypatch.setattr(
        builtins,
        "open",
        lambda f, *a, **k: real_open(cpuinfo if f == "/proc/cpuinfo" else f, *a, **k),
    )
    monkeypatch.setattr(prov.platform, "processor", lambda: "x86_64")
    assert prov.device_name(types.SimpleNamespace(type="cpu")) == "Test CPU @ 2.0GHz"
    assert prov.device_name(types.SimpleNamespace(type="cuda"), "NVIDIA H200") == "NVIDIA H200"
