"""Small fixes to the HTML that Jupyter Book 1.0.4 produces.

- Its extensions register some inline scripts twice (sphinx-thebe's `const THEBE_JS_URL`,
  sphinx-togglebutton's selector), and a second `const` declaration is a JavaScript error on every
  page. Keep the first of each identical script.
- Figures from notebook outputs get alt text: the figure's titles and axis labels that
  ``d2l_utils.plot`` stores with each figure (output metadata ``alt``), or, for outputs stored
  before it did, the titles and labels written in the cell's code. Without it Sphinx writes the
  image's file path as its alt text.
- Outputs never show where the book was executed: warnings' ``/tmp/ipykernel_…/….py:10:``
  prefixes and absolute paths of the build machine are cut from text outputs, and module
  defaults in API signatures show the module's name, not its file.
- The search index leaves out the code of cells whose input is hidden (the Colab set-up cell).
- The site root has a favicon.ico (no 404 in the console of pages without an icon link).
- The download menu's ".pdf" entry links to the whole book as a PDF (``make pdf``, which puts it
  beside index.html as ``book.pdf``) instead of printing the current page.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import json
import re
from pathlib import Path

from docutils import nodes

PDF_NAME = "book.pdf"
_HIDDEN_INPUT_TAGS = {"hide-input", "remove-input"}


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", "") or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


# ---------------------------------------------------------------- alt text for figures

_LABEL_CALLS = {"set_title": "title", "title": "title", "suptitle": "suptitle",
                "set_xlabel": "x", "xlabel": "x", "set_ylabel": "y", "ylabel": "y"}
_LABEL_KEYWORDS = {"title": "title", "xlabel": "x", "ylabel": "y"}


def _literal_text(node) -> str | None:
    """The text of a string literal or f-string (``{…}`` for the parts computed at run time)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    return None


def _clean(text: str) -> str:
    """Plain words from a matplotlib label: no ``$…$`` TeX markers, no line breaks."""
    text = re.sub(r"\$([^$]*)\$", lambda m: re.sub(r"\\(mathrm|mathbf|text)\b|[{}\\^_]", "", m.group(1)),
                  text)
    return re.sub(r"\s+", " ", text).strip()


def alt_from_labels(titles, xlabels, ylabels) -> str:
    """'Figure: A; B. Axes: x "epoch", y "loss".' from the titles and axis labels found."""
    def unique(values):
        return list(dict.fromkeys(_clean(v) for v in values if v and _clean(v)))

    titles, xlabels, ylabels = unique(titles), unique(xlabels), unique(ylabels)
    if not (titles or xlabels or ylabels):
        return ""
    parts = ["Figure: " + "; ".join(titles) + "." if titles else "Figure."]
    axes = [f"{name} {', '.join(labels)}" for name, labels in (("x", xlabels), ("y", ylabels)) if labels]
    if axes:
        parts.append("Axes: " + "; ".join(axes) + ".")
    return " ".join(parts)


def alt_from_code(source: str) -> str:
    """Alt text from the titles and axis labels a cell's code passes to matplotlib or d2l.plot."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    found = {"suptitle": [], "title": [], "x": [], "y": []}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in _LABEL_CALLS and node.args:
            text = _literal_text(node.args[0])
            if text:
                found[_LABEL_CALLS[name]].append(text)
        for keyword in node.keywords:
            if keyword.arg in _LABEL_KEYWORDS:
                text = _literal_text(keyword.value)
                if text:
                    found[_LABEL_KEYWORDS[keyword.arg]].append(text)
    return alt_from_labels(found["suptitle"] + found["title"], found["x"], found["y"])


def _notebook(app, docname: str, cache: dict):
    if docname not in cache:
        path = Path(app.env.doc2path(docname))
        cache[docname] = json.loads(path.read_text()) if path.suffix == ".ipynb" else None
    return cache[docname]


def _stored_alt_texts(cell) -> dict[str, str]:
    """{sha256 of an image output: the alt text stored with it} for one notebook cell."""
    texts = {}
    for output in cell.get("outputs", []):
        metadata = output.get("metadata", {})
        for mime, data in output.get("data", {}).items():
            if not mime.startswith("image/"):
                continue
            alt = metadata.get(mime, {}).get("alt") or metadata.get("alt")
            if not alt:
                continue
            raw = "".join(data) if isinstance(data, list) else data
            payload = base64.b64decode(raw) if mime != "image/svg+xml" else raw.encode()
            texts[hashlib.sha256(payload).hexdigest()] = alt
    return texts


def _section_title(node) -> str:
    while node is not None and not isinstance(node, nodes.section):
        node = node.parent
    if node is None:
        return ""
    title = next(iter(node.findall(nodes.title)), None)
    return re.sub(r"^[\d.]+\s*", "", title.astext()) if title is not None else ""


def _add_alt_text(app, doctree):
    docname, cache = app.env.docname, {}
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code":
            continue
        images = [img for img in cell.findall(nodes.image) if not img.get("alt")]
        if not images:
            continue
        notebook = _notebook(app, docname, cache)
        index = cell.get("cell_index")
        source_cell = notebook["cells"][index] if notebook and index is not None else {}
        stored = _stored_alt_texts(source_cell)
        from_code = alt_from_code("".join(source_cell.get("source", "")))
        section = _section_title(cell)
        for number, image in enumerate(images, 1):
            digest = Path(image["uri"]).stem
            alt = stored.get(digest) or from_code
            if not alt:
                alt = f"Figure {number} drawn by the code above" + (f", in “{section}”." if section else ".")
            image["alt"] = alt


# ---------------------------------------------------------------- machine paths in outputs

_WARNING_PREFIX = re.compile(
    r"^[^\s:]*/ipykernel_\d+/\d+\.py:\d+: (\w*(?:Warning|Error)\b.*)\n(?:  \S.*\n?)?", re.M)
_TEMP_SCRIPT = re.compile(r"[^\s:\"']*/ipykernel_\d+/\d+\.py")
_SITE_PACKAGES = re.compile(r"[^\s:\"']*/(site-packages|dist-packages)/")
_HOME = re.compile(r"(?<![\w.])/(?:root|home/[\w.-]+)/")


def scrub_paths(text: str, srcdir: str) -> str:
    """Text output without the build machine's paths (temp files, checkout, home, site-packages)."""
    text = _WARNING_PREFIX.sub(r"\1\n", text)
    text = _TEMP_SCRIPT.sub("<cell>", text)
    text = _SITE_PACKAGES.sub(r"…/\1/", text)
    text = text.replace(srcdir.rstrip("/") + "/", "")
    return _HOME.sub("~/", text)


def _scrub_outputs(app, doctree):
    srcdir = str(app.srcdir)
    for block in list(doctree.findall(nodes.literal_block)):
        if "output" not in block.get("classes", []):
            continue
        text = block.astext()
        clean = scrub_paths(text, srcdir)
        if clean != text:
            block.replace_self(nodes.literal_block(clean, clean, **block.attributes))


_MODULE_REPR = re.compile(r"<module '([\w.]+)' from '[^']*'>")


def _scrub_signature(app, what, name, obj, options, signature, return_annotation):
    """Default values shown as ``numpy``, not ``<module 'numpy' from '/…/site-packages/…'>``."""
    if signature and _MODULE_REPR.search(signature):
        return _MODULE_REPR.sub(r"\1", signature), return_annotation
    return None


# ---------------------------------------------------------------- search index, PDF link

def _index_without_hidden_inputs(app):
    builder = app.builder
    original = getattr(builder, "index_page", None)
    if original is None:
        return

    def index_page(pagename, doctree, title):
        doctree = doctree.deepcopy()
        for cell in list(doctree.findall(nodes.Element)):
            if {f"tag_{tag}" for tag in _HIDDEN_INPUT_TAGS} & set(cell.get("classes", [])):
                for source in list(cell.findall(nodes.Element)):
                    if "cell_input" in source.get("classes", []) and source.parent is not None:
                        source.parent.remove(source)
        return original(pagename, doctree, title)

    builder.index_page = index_page


def _link_pdf(app, pagename, templatename, context, doctree):
    pathto = context.get("pathto")
    for group in context.get("header_buttons", []):
        for i, button in enumerate(group.get("buttons", [])):
            if button.get("label") == "download-pdf-button":
                group["buttons"][i] = {
                    "type": "link",
                    "url": pathto(PDF_NAME, 1),
                    "text": ".pdf",
                    "tooltip": "Download the whole book as a PDF",
                    "icon": "fas fa-file-pdf",
                    "label": "download-pdf-button",
                }


def _favicon_at_root(app, exception):
    """Browsers ask for /favicon.ico on pages without an icon link (index.html's redirect)."""
    source = Path(app.srcdir) / "_static" / "favicon.ico"
    if exception is None and app.builder.format == "html" and source.exists():
        (Path(app.outdir) / "favicon.ico").write_bytes(source.read_bytes())


def _html_nodes_for_other_html_builders(app):
    """singlehtml (for ``make pdf``) renders every node html does.

    Sphinx uses the node handlers registered for a builder's name, and falls back to its format
    ('html') only when no extension registered any for that name; some register a few for
    singlehtml, so myst-nb's HiddenCellNode, registered for html only, would crash it.
    """
    handlers = app.registry.translation_handlers
    name = app.builder.name
    if name != "html" and app.builder.format == "html" and "html" in handlers:
        for node, visitors in handlers["html"].items():
            handlers.setdefault(name, {}).setdefault(node, visitors)


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _link_pdf, priority=600)  # after the theme adds its buttons
    app.connect("doctree-read", _add_alt_text)
    app.connect("doctree-read", _scrub_outputs)
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-signature", _scrub_signature)
    app.connect("builder-inited", _index_without_hidden_inputs)
    app.connect("builder-inited", _html_nodes_for_other_html_builders)
    app.connect("build-finished", _favicon_at_root)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
