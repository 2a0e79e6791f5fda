"""Pictures of training for chapter 8: curves, filters, digits and a confusion matrix.

Each function returns a `matplotlib.figure.Figure` (no pyplot state, so it works in a
script, a notebook or the book's build); `fig.savefig("curves.png")` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from minitheano.examples.train import History


def curves(histories: Mapping[str, History]) -> Figure:
    """Training loss (log scale) and validation accuracy per epoch, one line per run."""
    fig = Figure(figsize=(8, 3))
    loss, accuracy = fig.subplots(1, 2)
    for name, history in histories.items():
        epochs = np.arange(1, len(history.train_loss) + 1)
        loss.plot(epochs, history.train_loss, label=name)
        accuracy.plot(epochs, 100 * (1 - np.array(history.valid_error)), label=name)
    loss.set(xlabel="epoch", ylabel="training loss (NLL)", yscale="log")
    accuracy.set(xlabel="epoch", ylabel="validation accuracy (%)")
    accuracy.legend(fontsize="small")
    fig.tight_layout()
    return fig


def images(pictures: np.ndarray, titles: list[str] | None = None, columns: int = 10,
           size: float = 0.8, symmetric: bool = False) -> Figure:
    """A grid of small grey images (digits, or filters: `symmetric` centres the colour
    scale on 0 so positive and negative weights look alike)."""
    rows = -(-len(pictures) // columns)
    fig = Figure(figsize=(columns * size, rows * size * (1.25 if titles else 1)))
    axes = fig.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index >= len(pictures):
            continue
        picture = pictures[index]
        if symmetric:
            bound = np.abs(picture).max() or 1.0
            ax.imshow(picture, cmap="RdBu_r", vmin=-bound, vmax=bound)
        else:
            ax.imshow(picture, cmap="gray_r")
        if titles:
            ax.set_title(titles[index], fontsize="small")
    return fig


def confusion(labels: np.ndarray, predicted: np.ndarray, n_classes: int = 10) -> np.ndarray:
    """counts[true, predicted]: how often each class was taken for each other."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n_classes: int = 10) -> Figure:
    """The confusion matrix as a picture, with its counts written in the cells."""
    counts = confusion(labels, predicted, n_classes)
    fig = Figure(figsize=(4.2, 4.2))
    ax = fig.subplots()
    ax.imshow(counts, cmap="Blues")
    for (true, guess), count in np.ndenumerate(counts):
        if count:
            colour = "white" if count > counts.max() / 2 else "black"
            ax.text(guess, true, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set(xlabel="predicted", ylabel="true", xticks=range(n_classes), yticks=range(n_classes))
    fig.tight_layout()
    return fig
