"""Small fixes to the HTML that Jupyter Book 1.0.4 produces.

Its extensions register some inline scripts twice (sphinx-thebe's `const THEBE_JS_URL`,
sphinx-togglebutton's selector), and a second `const` declaration is a JavaScript error on every
page. Keep the first of each identical script.
"""


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", "") or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
