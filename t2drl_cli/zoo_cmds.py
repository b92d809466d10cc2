"""`t2drl train-zoo`, `t2drl zoo-matrix` and `t2drl zoo-export`: the embedded model zoo
(docs/zoo.md). torch and diffusers are imported inside the commands."""

from profiling.zoo.api import ZooExportArgs
from profiling.zoo.matrix import MatrixArgs
from profiling.zoo.train import TrainZooArgs
from t2drl_cli.output import show


def train_zoo(args: TrainZooArgs) -> None:
    """Train the zoo's DDPM UNets (one per domain) reproducibly from the seed; rerun the same
    command to resume. Needs the training data packages (datasets.md)."""
    from profiling.zoo.train import summary, train_zoo

    show(summary(args, train_zoo(args)))


def zoo_matrix(args: MatrixArgs) -> None:
    """Inpaint every domain's held-out images with every zoo model: the cross-domain table of
    hole PSNR and TV as markdown + CSV, and a Fig. 1-style PNG (paper Sec. 1.2)."""
    from profiling.zoo.matrix import main, summary

    show(summary(main(args)))


def zoo_export(args: ZooExportArgs) -> None:
    """Write the zoo's held-out sets as PNG folders (for `profile-models --images`)."""
    from profiling.zoo.api import export_main, export_summary

    show(export_summary(export_main(args)))


COMMANDS = {"train-zoo": train_zoo, "zoo-matrix": zoo_matrix, "zoo-export": zoo_export}
