"""The CLI's tests share the profiling tests' tiny UNet and one-thread rule."""

from tests.profiling.conftest import _one_thread, tiny_unet_dir  # noqa: F401 (fixtures)
