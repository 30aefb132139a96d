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
    text += " Axes: " + "; ".join(axes) + "." if axes else ""
    return text + (" " + fig.d2l_alt if getattr(fig, "d2l_alt", "") else "")


def small_png(png: bytes, colors: int = 256) -> bytes:
    """The PNG ``png`` with its colours reduced to a palette of ``colors``, where that looks the
    same and is smaller; else ``png`` unchanged.

    Plots use few colours: as palette images the book's figures take 4.5 MB instead of 9.0 MB,
    which a reader on a phone downloads. "Looks the same": in 99% of the pixels no colour channel
    moves by more than 4 (of 255), in 99.9% by no more than 8, so no shade drifts or bands.
    Photographs, smooth colour ramps and transparent images stay as they are.
    """
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise ValueError(f"small_png expects the bytes of a PNG image, got {png[:8]!r}...: {err}"
                         ) from err
    if image.format != "PNG":
        raise ValueError(f"small_png expects a PNG image, got {image.format}")
    if image.mode == "RGBA" and image.getextrema()[3][0] == 255:
        image = image.convert("RGB")  # opaque: the alpha channel carries nothing
    if image.mode != "RGB":
        return png
    palette = image.quantize(colors, method=Image.Quantize.MAXCOVERAGE, kmeans=1,
                             dither=Image.Dither.NONE)
    moved = np.abs(np.asarray(image, dtype=np.int16)
                   - np.asarray(palette.convert("RGB"), dtype=np.int16)).max(axis=2)
    if np.percentile(moved, 99) > 4 or np.percentile(moved, 99.9) > 8:
        return png
    out = io.BytesIO()
    palette.save(out, "PNG", optimize=True)
    return out.getvalue() if out.tell() < len(png) else png


def _retina_png_with_alt(fig):
    import base64

    from IPython.core.pylabtools import retina_figure

    result = retina_figure(fig, base64=False)
    if result is None:  # an empty figure
        return None
    png, metadata = result
    data = base64.b64encode(small_png(png)).decode("ascii")
    return data, dict(metadata, alt=figure_alt_text(fig))


def use_book_figure_format(shell=None) -> bool:
    """Show figures in a Jupyter kernel as 2x PNGs with alt text; return whether it applied.

    The PNG is drawn at twice matplotlib's dpi and stored with its 1x width and height (IPython's
    'retina' format) and a palette of colours (``small_png``), and its metadata carries ``alt``
    (``figure_alt_text``). Called on import.
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



# Diagrams: units, networks and computational graphs, drawn with matplotlib so that the book
# owns every picture and each one is re-drawn (and tested) like any other cell's output.

_NODE_COLORS = {"input": "#dbe9f6", "param": "#fde7c8", "op": "#e4f2dc", "output": "#f3dcef",
                "plain": "white"}


def _diagram_axes(ax, figsize, title: str):
    if not title:
        raise ValueError("every diagram needs a title")
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.set_title(title)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return ax


_TEX_WORDS = {"top": "ᵀ", "delta": "δ", "varphi": "φ", "phi": "φ", "sigma": "σ", "ell": "ℓ",
              "sum": "Σ", "tanh": "tanh", "odot": "⊙", "cdot": "·", "epsilon": "ε", "hat": ""}


def _plain(label) -> str:
    """A diagram label as plain text for the alt text: '$f_1^\\top \\delta_2$' -> 'f1ᵀ δ2'."""
    import re
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX_WORDS.get(m.group(1), m.group(1)), str(label))
    return " ".join(re.sub(r"[${}_^]", "", text).split())


def draw_graph(nodes: dict, edges, title: str, backward=(), kinds: dict | None = None,
               ax=None, figsize=(6.5, 3.0), fontsize: float = 11):
    """Draw boxes joined by arrows: a computational graph, a block diagram, a pipeline.

    ``nodes`` maps a name to ``(x, y)`` or ``(x, y, label)`` (labels may use matplotlib's
    TeX math);
    ``edges`` are ``(source, target)`` or ``(source, target, label)`` pairs drawn as black
    forward arrows; ``backward`` edges are drawn as dashed red arrows (gradients flowing back).
    ``kinds`` colours nodes by role: 'input', 'param', 'op', 'output' or 'plain'. Returns the axes.
    """
    ax = _diagram_axes(ax, figsize, title)
    if not nodes:
        raise ValueError("draw_graph needs at least one node")
    kinds = dict(kinds or {})
    boxes = {}
    for name, spec in nodes.items():
        if not isinstance(spec, (tuple, list)) or len(spec) not in (2, 3):
            raise ValueError(f"node {name!r}: give (x, y) or (x, y, label), not {spec!r}")
        x, y, label = (*spec, name) if len(spec) == 2 else spec
        kind = kinds.get(name, "op")
        if kind not in _NODE_COLORS:
            raise ValueError(f"node {name!r}: kind must be one of {sorted(_NODE_COLORS)}, "
                             f"not {kind!r}")
        # zorder 1: boxes are drawn before the arrows, which are clipped at their borders
        boxes[name] = ax.text(x, y, label, ha="center", va="center", fontsize=fontsize,
                              zorder=1, bbox=dict(boxstyle="round,pad=0.35",
                                                  fc=_NODE_COLORS[kind], ec="0.25"))
    unknown = set(kinds) - set(nodes)
    if unknown:
        raise ValueError(f"kinds name nodes that do not exist: {sorted(unknown)}")

    def arrows(pairs, color, style, rad, what):
        for pair in pairs:
            if len(pair) not in (2, 3):
                raise ValueError(f"{what} {pair!r}: give (source, target) or (source, target, "
                                 "label)")
            src, dst, label = (*pair, "") if len(pair) == 2 else pair
            for end in (src, dst):
                if end not in boxes:
                    raise ValueError(f"{what} {src!r} -> {dst!r}: no node named {end!r} "
                                     f"(nodes: {', '.join(map(str, boxes))})")
            (x0, y0), (x1, y1) = boxes[src].get_position(), boxes[dst].get_position()
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=2, arrowprops=dict(
                arrowstyle="-|>", color=color, lw=1.4, ls=style, shrinkA=0, shrinkB=0,
                mutation_scale=14, patchA=boxes[src].get_bbox_patch(),
                patchB=boxes[dst].get_bbox_patch(), connectionstyle=f"arc3,rad={rad}"))
            if label:
                # the middle of an arc3 curve sits rad * length to the side of the chord
                mx, my = (x0 + x1) / 2 + rad * (y1 - y0) / 2, (y0 + y1) / 2 - rad * (x1 - x0) / 2
                ax.text(mx, my, label, ha="center", va="center", color=color,
                        fontsize=fontsize - 1, zorder=4,
                        bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))

    arrows(edges, "0.15", "-", 0.0, "edge")
    arrows(backward, "#c0392b", "--", 0.35, "backward edge")
    xs = [t.get_position()[0] for t in boxes.values()]
    ys = [t.get_position()[1] for t in boxes.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    if len(backward):
        from matplotlib.lines import Line2D
        ax.legend([Line2D([], [], color="0.15"), Line2D([], [], color="#c0392b", ls="--")],
                  ["forward: values", "backward: gradients"], loc="lower center",
                  bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False, fontsize=fontsize - 1)
    name = {n: _plain(t.get_text()) for n, t in boxes.items()}
    ax.figure.d2l_alt = ("Diagram: " + ", ".join(
        f"{name[s]} to {name[d]}" for s, d, *_ in edges) + ("; backward: " + ", ".join(
            f"{name[s]} to {name[d]}" for s, d, *_ in backward) if len(backward) else "") + ".")
    return ax


def draw_unit(n_inputs: int = 3, activation: str = "σ", title: str = "One unit",
              ax=None, figsize=(6.0, 3.0)):
    """Draw one unit: inputs x_i, weights w_i on the arrows, a bias b, the sum z, the
    activation and the output ŷ = activation(z). Returns the axes."""
    if not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"n_inputs must be a positive whole number, not {n_inputs!r}")
    rows = np.linspace(1.2 * (n_inputs - 1) / 2, -1.2 * (n_inputs - 1) / 2, n_inputs)
    nodes = {f"x{i}": (0.0, y, f"$x_{{{i + 1}}}$") for i, y in enumerate(rows)}
    nodes["b"] = (2.2, rows[0] + 1.2, "bias $b$")
    nodes["z"] = (3.6, 0.0, r"$z = \sum_i w_i x_i + b$")
    nodes["f"] = (6.2, 0.0, f"${activation}(z)$")
    nodes["y"] = (7.8, 0.0, r"$\hat y$")
    edges = [(f"x{i}", "z", f"$w_{{{i + 1}}}$") for i in range(n_inputs)]
    edges += [("b", "z"), ("z", "f"), ("f", "y")]
    kinds = {**{f"x{i}": "input" for i in range(n_inputs)}, "b": "param", "y": "output"}
    return draw_graph(nodes, edges, title, kinds=kinds, ax=ax, figsize=figsize)


def draw_network(sizes, title: str, names=None, max_units: int = 6, ax=None,
                 figsize=(6.5, 3.2)):
    """Draw a fully connected network: one column of units per layer, every unit joined to
    every unit of the next layer, each layer's name and size below it and each weight matrix's
    shape above its arrows. Layers wider than ``max_units`` show a few units and a ⋮."""
    sizes = list(sizes)
    if len(sizes) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise ValueError(f"sizes must be two or more positive whole numbers, not {sizes!r}")
    if names is None:
        names = ["input"] + [f"hidden {i}" for i in range(1, len(sizes) - 1)] + ["output"]
    if len(names) != len(sizes):
        raise ValueError(f"got {len(names)} names for {len(sizes)} layers")
    if max_units < 3:
        raise ValueError(f"max_units must be at least 3, not {max_units}")
    ax = _diagram_axes(ax, figsize, title)
    columns = []
    for j, n in enumerate(sizes):
        shown = min(n, max_units)
        ys = np.linspace((shown - 1) / 2, -(shown - 1) / 2, shown) * 0.8
        columns.append(ys)
        for k, y in enumerate(ys):
            if n > max_units and k == shown - 2:
                ax.text(3.0 * j, y, "⋮", ha="center", va="center", fontsize=14)
                continue
            color = _NODE_COLORS["input" if j == 0 else "output" if j == len(sizes) - 1
                                 else "op"]
            ax.add_patch(plt.Circle((3.0 * j, y), 0.22, fc=color, ec="0.25", zorder=3))
        ax.text(3.0 * j, -0.4 * max_units - 0.2, f"{names[j]}\n{n} unit{'s' * (n != 1)}",
                ha="center",
                va="top", fontsize=10)
    for j in range(len(sizes) - 1):
        for k, y0 in enumerate(columns[j]):
            for m, y1 in enumerate(columns[j + 1]):
                skip = (sizes[j] > max_units and k == len(columns[j]) - 2) or (
                    sizes[j + 1] > max_units and m == len(columns[j + 1]) - 2)
                if not skip:
                    ax.plot([3.0 * j + 0.22, 3.0 * (j + 1) - 0.22], [y0, y1], color="0.6",
                            lw=0.7, zorder=1)
        ax.text(3.0 * j + 1.5, 0.4 * max_units + 0.15, f"$W_{j}$: {sizes[j]}×{sizes[j + 1]}",
                ha="center", va="bottom", fontsize=10)
    ax.set_xlim(-0.8, 3.0 * (len(sizes) - 1) + 0.8)
    ax.set_ylim(-0.4 * max_units - 1.3, 0.4 * max_units + 0.7)
    ax.figure.d2l_alt = "Diagram: a fully connected network with layers " + ", ".join(
        f"{_plain(name)} ({n} unit{'s' * (n != 1)})" for name, n in zip(names, sizes)) + "."
    return ax


use_book_figure_format()
