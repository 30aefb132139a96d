"""Plotting helpers: every figure gets a title, labelled axes and a legend.

``Animator`` redraws a training curve while a notebook runs. When ``D2L_STATIC_PLOTS=1`` (set by
the tests and by ``tools/execute.py``) or outside IPython it draws once, at the end, so stored
notebook outputs are one figure, identical on every run.

In a notebook, ``import d2l_utils`` makes figures 2x PNGs (sharp on high-density screens, shown
at their 1x size) and stores with each one an alt text made of its titles and axis labels, which
the book uses for readers who cannot see it (see ``use_book_figure_format``).
"""
from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

#: Default figure size in inches, small enough to sit beside the text.
FIGSIZE = (4.5, 3.0)


_figsize = FIGSIZE


def set_figsize(figsize: tuple[float, float] = FIGSIZE) -> None:
    """Set the size (inches) of the figures that ``plot`` and ``Animator`` draw from now on."""
    global _figsize
    _figsize = tuple(figsize)


def _as_list(values):
    if values is None:
        return []
    if hasattr(values, "asnumpy"):
        values = values.asnumpy()
    if isinstance(values, (list, tuple)) and len(values) and hasattr(values[0], "__len__"):
        return [np.asarray(v.asnumpy() if hasattr(v, "asnumpy") else v) for v in values]  # several series
    values = np.asarray(values)
    return list(values) if values.ndim == 2 else [values]  # rows of a 2-D array are series


def plot(X, Y=None, xlabel: str = "", ylabel: str = "", title: str = "", legend=None,
         xscale: str = "linear", yscale: str = "linear", fmts=("-", "m--", "g-.", "r:"),
         axes=None, figsize=None):
    """Plot one or several curves (lists of x and y) on labelled axes; return the axes.

    ``X`` alone plots each series against its index. Title and axis labels are required so that
    no figure in the book goes out unlabelled; ``legend`` names each curve.
    """
    if not (title and xlabel and ylabel):
        raise ValueError("every plot needs a title, an xlabel and a ylabel")
    xs, ys = _as_list(X), _as_list(Y)
    if not ys:
        xs, ys = [np.arange(len(y)) for y in xs], xs
    if len(xs) == 1 and len(ys) > 1:
        xs = xs * len(ys)
    if len(xs) != len(ys):
        raise ValueError(f"got {len(xs)} x series for {len(ys)} y series")
    legend = list(legend or [])
    if legend and len(legend) != len(ys):
        raise ValueError(f"got {len(legend)} legend entries for {len(ys)} curves")
    if axes is None:
        _, axes = plt.subplots(figsize=figsize or _figsize)
    for i, (x, y) in enumerate(zip(xs, ys)):
        if len(x) != len(y):
            raise ValueError(f"curve {i}: {len(x)} x values but {len(y)} y values")
        axes.plot(x, y, fmts[i % len(fmts)], label=legend[i] if legend else None)
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title, xscale=xscale, yscale=yscale)
    if legend:
        axes.legend()
    axes.grid(True, alpha=0.3)
    return axes


def figure_alt_text(fig) -> str:
    """A figure described by its titles and axis labels, e.g. 'Figure: Training. Axes: x epoch; y loss.'"""
    titles = [fig._suptitle.get_text()] if getattr(fig, "_suptitle", None) else []
    xlabels, ylabels = [], []
    for ax in fig.axes:
        titles += [ax.get_title(loc) for loc in ("center", "left", "right")]
        xlabels.append(ax.get_xlabel())
        ylabels.append(ax.get_ylabel())

    def unique(values):
        return list(dict.fromkeys(" ".join(v.replace("$", "").split()) for v in values if v and v.strip()))

    titles, xlabels, ylabels = unique(titles), unique(xlabels), unique(ylabels)
    text = "Figure: " + "; ".join(titles) + "." if titles else "Figure."
    axes = [f"{name} {', '.join(labels)}" for name, labels in (("x", xlabels), ("y", ylabels)) if labels]
    return text + (" Axes: " + "; ".join(axes) + "." if axes else "")


def _retina_png_with_alt(fig):
    from IPython.core.pylabtools import retina_figure

    result = retina_figure(fig, base64=True)
    if result is None:  # an empty figure
        return None
    data, metadata = result
    return data, dict(metadata, alt=figure_alt_text(fig))


def use_book_figure_format(shell=None) -> bool:
    """Show figures in a Jupyter kernel as 2x PNGs with alt text; return whether it applied.

    The PNG is drawn at twice matplotlib's dpi and stored with its 1x width and height (IPython's
    'retina' format), and its metadata carries ``alt`` (``figure_alt_text``). Called on import.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = shell or get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    import matplotlib
    from matplotlib.figure import Figure

    if "inline" in matplotlib.get_backend().lower():
        # Let the inline backend set itself up now, with 'retina', so that it does not replace
        # the formatter below when the first figure is drawn.
        from matplotlib_inline.backend_inline import InlineBackend

        InlineBackend.instance(parent=shell).figure_formats = {"retina"}
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(Figure, _retina_png_with_alt)
    return True


def _live() -> bool:
    if os.environ.get("D2L_STATIC_PLOTS", "").strip() not in ("", "0"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


class Animator:
    """Curves that grow while training runs; call ``add(x, ys)`` each epoch, ``show()`` at the end.

    Live redrawing happens only in a Jupyter kernel without ``D2L_STATIC_PLOTS``; otherwise the
    points are just recorded and ``show()`` draws the final figure once.
    """

    def __init__(self, xlabel: str, ylabel: str, legend, title: str, xlim=None, ylim=None,
                 yscale: str = "linear", figsize=None):
        self.labels = dict(xlabel=xlabel, ylabel=ylabel, title=title, legend=list(legend), yscale=yscale)
        self.xlim, self.ylim, self.figsize = xlim, ylim, figsize
        self.X: list[list[float]] = [[] for _ in legend]
        self.Y: list[list[float]] = [[] for _ in legend]
        self.live = _live()
        self.fig = self.axes = None

    def add(self, x, ys) -> None:
        if hasattr(ys, "asnumpy"):
            ys = ys.asnumpy()
        if isinstance(ys, np.ndarray):
            ys = ys.reshape(-1).tolist() if ys.ndim else [ys.item()]
        ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
        if len(ys) != len(self.Y):
            raise ValueError(f"Animator has {len(self.Y)} curves but got {len(ys)} values")
        for i, y in enumerate(ys):
            if y is not None:
                self.X[i].append(float(x))
                self.Y[i].append(float(y))
        if self.live:
            from IPython import display
            self._draw()
            display.display(self.fig)
            display.clear_output(wait=True)

    def _draw(self):
        if self.fig is None:
            self.fig, self.axes = plt.subplots(figsize=self.figsize or _figsize)
        self.axes.cla()
        plot(self.X, self.Y, axes=self.axes, **self.labels)
        if self.xlim:
            self.axes.set_xlim(self.xlim)
        if self.ylim:
            self.axes.set_ylim(self.ylim)

    def show(self):
        """Draw the final figure (once) and return its axes."""
        self._draw()
        if self.live:
            from IPython import display
            display.clear_output(wait=True)
        return self.axes


use_book_figure_format()
