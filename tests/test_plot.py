"""plot: labelled figures only, clear errors for mismatched data, a safe non-interactive Animator."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import re  # noqa: E402

import d2l_utils as d2l  # noqa: E402

from d2l_utils.plot import (Animator, _retina_png_with_alt, figure_alt_text, plot,  # noqa: E402
                            set_figsize, small_png, use_book_figure_format)

LABELS = dict(xlabel="epoch", ylabel="loss", title="Training")


def test_plot_several_curves_with_legend():
    ax = plot([0, 1, 2], [[3, 2, 1], [1, 2, 3]], legend=["down", "up"], **LABELS)
    assert len(ax.lines) == 2 and ax.get_title() == "Training" and ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["down", "up"]
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [1, 2, 3])
    plt.close("all")


def test_plot_single_series_against_index():
    ax = plot([5.0, 4.0, 3.0], **LABELS)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])
    plt.close("all")


def test_plot_rows_of_a_2d_array_are_curves():
    ax = plot(np.arange(3), np.ones((4, 3)), **LABELS)
    assert len(ax.lines) == 4
    plt.close("all")


@pytest.mark.parametrize("kwargs, message", [
    (dict(X=[0, 1], Y=[1, 2, 3], **LABELS), "2 x values but 3 y values"),
    (dict(X=[0, 1], Y=[[1, 2], [3, 4]], legend=["one"], **LABELS), "1 legend entries for 2 curves"),
    (dict(X=[[0, 1], [0, 1], [0, 1]], Y=[[1, 2], [3, 4]], **LABELS), "3 x series for 2 y series"),
    (dict(X=[0, 1], Y=[1, 2], xlabel="x", ylabel="y"), "title"),
])
def test_plot_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot(**kwargs)
    plt.close("all")


def test_set_figsize():
    set_figsize((2, 1))
    try:
        ax = plot([1, 2], **LABELS)
        assert tuple(ax.figure.get_size_inches()) == (2, 1)
    finally:
        set_figsize()
        plt.close("all")


def test_animator_is_static_outside_jupyter(monkeypatch):
    monkeypatch.setenv("D2L_STATIC_PLOTS", "1")
    anim = Animator(legend=["train", "test"], **LABELS)
    assert not anim.live
    for epoch in range(1, 4):
        anim.add(epoch, (1 / epoch, None if epoch == 1 else 2 / epoch))
    assert anim.fig is None  # nothing drawn until show()
    ax = anim.show()
    assert len(ax.lines) == 2 and list(ax.lines[1].get_xdata()) == [2, 3]
    plt.close("all")


def test_animator_wrong_number_of_values():
    anim = Animator(legend=["a", "b"], **LABELS)
    with pytest.raises(ValueError, match="2 curves but got 1"):
        anim.add(1, 0.5)


def test_animator_takes_an_array_of_values():
    anim = Animator(legend=["a", "b"], **LABELS)
    anim.add(1, np.array([0.5, 0.25]))
    anim.add(2, mx.nd.array([0.4, 0.2]))
    assert anim.Y[0] == [0.5, pytest.approx(0.4)] and anim.Y[1] == [0.25, pytest.approx(0.2)]


def test_figure_alt_text_names_titles_and_axes():
    fig, (left, right) = plt.subplots(1, 2)
    fig.suptitle("Two fits")
    plot([1, 2], axes=left, **LABELS)
    right.set(title="Test error", xlabel="epoch", ylabel="$\\mathrm{error}$")
    assert figure_alt_text(fig) == ("Figure: Two fits; Training; Test error. "
                                    "Axes: x epoch; y loss, \\mathrm{error}.")
    assert figure_alt_text(plt.figure()) == "Figure."
    plt.close("all")


def test_figures_in_a_notebook_are_2x_pngs_with_alt_text():
    """What a Jupyter kernel shows: a PNG at twice the pixels, its 1x size and its alt text."""
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    ax = plot([1, 2, 3], **LABELS)
    data, metadata = _retina_png_with_alt(ax.figure)
    png = __import__("base64").b64decode(data)
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (2 * metadata["width"], 2 * metadata["height"])
    assert metadata["alt"] == "Figure: Training. Axes: x epoch; y loss."

    shell = InteractiveShell.instance()
    png_formatter = shell.display_formatter.formatters["image/png"]
    try:
        assert use_book_figure_format(shell)
        _, md = shell.display_formatter.format(ax.figure)
        assert md["image/png"]["alt"] == metadata["alt"]
    finally:
        png_formatter.pop(Figure, None)
        plt.close("all")


def _figure_png(**kwargs):
    import io

    fig, ax = plt.subplots(figsize=(4, 3))
    x = np.linspace(0, 6, 200)
    for k in range(4):
        ax.plot(x, np.sin(x + k), label=f"phase {k}")
    ax.fill_between(x, -0.5, 0.5, alpha=0.2)
    ax.set(title="Sines", xlabel="x", ylabel="y")
    ax.legend()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=144, **kwargs)
    plt.close(fig)
    return out.getvalue()


def test_small_png_keeps_the_picture_in_fewer_bytes():
    import io

    from PIL import Image

    png = _figure_png()
    small = small_png(png)
    before, after = Image.open(io.BytesIO(png)), Image.open(io.BytesIO(small))
    assert after.format == "PNG" and after.mode == "P" and after.size == before.size
    assert len(small) < 0.6 * len(png)
    difference = np.abs(np.asarray(before.convert("RGB"), dtype=int)
                        - np.asarray(after.convert("RGB"), dtype=int))
    assert np.percentile(difference, 99) <= 4 and np.percentile(difference, 99.9) <= 8
    assert small_png(small) == small  # a palette image is kept as it is


def test_small_png_keeps_images_a_palette_would_change():
    """A smooth ramp of 65,536 colours would band in 256: it is returned as it was."""
    import io

    from PIL import Image

    red, green = np.meshgrid(np.arange(256), np.arange(256))
    ramp = np.stack([red, green, np.full_like(red, 128)], axis=-1).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(ramp).save(out, "PNG")
    assert small_png(out.getvalue()) == out.getvalue()


def test_figures_in_a_notebook_are_stored_as_palette_pngs():
    import base64
    import io

    from PIL import Image

    ax = plot([1, 2, 3], **LABELS)
    data, metadata = _retina_png_with_alt(ax.figure)
    plt.close("all")
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.mode == "P" and image.size == (2 * metadata["width"], 2 * metadata["height"])


def test_small_png_leaves_transparent_images_alone():
    png = _figure_png(transparent=True)
    assert small_png(png) == png


@pytest.mark.parametrize("data, message", [
    (b"not an image at all", "expects the bytes of a PNG image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "expects the bytes of a PNG image"),
])
def test_small_png_refuses_what_is_not_a_png(data, message):
    with pytest.raises(ValueError, match=message):
        small_png(data)


def test_small_png_refuses_other_formats():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    with pytest.raises(ValueError, match="expects a PNG image, got JPEG"):
        small_png(out.getvalue())


def test_no_figure_format_outside_ipython(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert use_book_figure_format() is False


# Diagrams: units, networks, computational graphs.

def _arrows(ax):
    return [c for c in ax.get_children() if isinstance(c, matplotlib.text.Annotation)]


def test_draw_graph_draws_every_node_and_arrow():
    nodes = {"x": (0, 0, "$x$"), "w": (0, 1), "z": (2, 0, "$z = w x$"), "loss": (4, 0)}
    ax = d2l.draw_graph(nodes, [("x", "z"), ("w", "z"), ("z", "loss")], "A tiny graph",
                        backward=[("loss", "z", r"$\delta$")], kinds={"w": "param"})
    texts = [t.get_text() for t in ax.texts]
    assert {"$x$", "w", "$z = w x$", "loss", r"$\delta$"} <= set(texts)
    assert len(_arrows(ax)) == 4
    red = [a for a in _arrows(ax) if a.arrow_patch.get_linestyle() != "-"]
    assert len(red) == 1  # the backward arrow is dashed
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "forward: values", "backward: gradients"]
    alt = figure_alt_text(ax.figure)
    assert "A tiny graph" in alt and "x to z = w x" in alt and "backward: loss to z" in alt
    assert "$" not in alt  # labels as plain text
    plt.close("all")


def test_draw_graph_arrows_stop_at_the_box_borders():
    ax = d2l.draw_graph({"a": (0, 0, "a long label"), "b": (3, 0, "b")}, [("a", "b")], "Clip")
    ax.figure.canvas.draw()
    (arrow,) = _arrows(ax)
    box = ax.texts[0].get_window_extent()
    # the drawn path (display coordinates) starts right of the first box's right edge
    drawn = arrow.arrow_patch.get_path().transformed(arrow.arrow_patch.get_transform())
    points = drawn.vertices[drawn.codes != matplotlib.path.Path.CLOSEPOLY]
    assert points[:, 0].min() >= box.x1 - 2
    plt.close("all")


@pytest.mark.parametrize("nodes, edges, kwargs, message", [
    ({}, [], {}, "at least one node"),
    ({"a": (0,)}, [], {}, "give (x, y)"),
    ({"a": (0, 0)}, [("a", "b")], {}, "no node named 'b'"),
    ({"a": (0, 0), "b": (1, 0)}, [("a",)], {}, "give (source, target)"),
    ({"a": (0, 0)}, [], {"kinds": {"a": "weight"}}, "kind must be one of"),
    ({"a": (0, 0)}, [], {"kinds": {"c": "param"}}, "do not exist"),
    ({"a": (0, 0)}, [], {"title": ""}, "needs a title"),
])
def test_draw_graph_bad_input(nodes, edges, kwargs, message):
    kwargs = {"title": "T", **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        d2l.draw_graph(nodes, edges, **kwargs)
    plt.close("all")


def test_draw_unit_labels_inputs_weights_sum_and_activation():
    ax = d2l.draw_unit(2, activation=r"\tanh", title="A unit")
    texts = {t.get_text() for t in ax.texts}
    assert {"$x_{1}$", "$x_{2}$", "$w_{1}$", "$w_{2}$", r"$\tanh(z)$", r"$\hat y$"} <= texts
    assert len(_arrows(ax)) == 2 + 3  # two weighted inputs, the bias, sum -> tanh -> output
    with pytest.raises(ValueError, match="positive whole number"):
        d2l.draw_unit(0)
    plt.close("all")


def test_draw_network_shows_sizes_shapes_and_elides_wide_layers():
    ax = d2l.draw_network([784, 32, 10], "An MLP", max_units=5)
    texts = [t.get_text() for t in ax.texts]
    assert "$W_0$: 784×32" in texts and "$W_1$: 32×10" in texts
    assert "input\n784 units" in texts and "output\n10 units" in texts
    assert texts.count("⋮") == 3  # every layer is wider than 5 units
    circles = [p for p in ax.patches if isinstance(p, matplotlib.patches.Circle)]
    assert len(circles) == 3 * 4
    small = d2l.draw_network([2, 3, 1], "XOR", names=["x", "h", "y"])
    assert "y\n1 unit" in [t.get_text() for t in small.texts]
    assert "y (1 unit)" in figure_alt_text(small.figure)
    assert sum(isinstance(p, matplotlib.patches.Circle) for p in small.patches) == 6
    assert "⋮" not in [t.get_text() for t in small.texts]
    plt.close("all")


@pytest.mark.parametrize("sizes, kwargs, message", [
    ([3], {}, "two or more positive whole numbers"),
    ([3, 0], {}, "two or more positive whole numbers"),
    ([3, 2.5], {}, "two or more positive whole numbers"),
    ([3, 2], {"names": ["a"]}, "got 1 names for 2 layers"),
    ([3, 2], {"max_units": 2}, "at least 3"),
])
def test_draw_network_bad_input(sizes, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        d2l.draw_network(sizes, "T", **kwargs)
    plt.close("all")
