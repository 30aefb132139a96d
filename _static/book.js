/* The book's own fixes to the theme's behaviour (sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17).
 *
 * 1. Sidebar buttons. Each page has two `.primary-toggle` and two `.secondary-toggle` buttons: a
 *    hidden one in pydata's header and the visible one in the book theme's article header. The
 *    themes bind their click handlers to the first of each (`document.querySelector`), the hidden
 *    one, so the buttons a reader sees did nothing. A click on a visible one is passed on to the
 *    bound one: on a wide screen it shows or hides the navigation, on a narrow one it opens the
 *    navigation or the page contents as a dialog.
 * 2. Search snippets. Sphinx builds them from the page's HTML, where formulas are still TeX source
 *    (`\(\mathbf{w}\)`) and the hidden Colab set-up cell is text like any other. Formulas are turned
 *    into readable plain text and hidden cell inputs are left out.
 */
(function () {
  "use strict";

  function forwardSidebarButtons() {
    ["primary-toggle", "secondary-toggle"].forEach(function (name) {
      var bound = document.querySelector("." + name);  // the one the themes listen to
      document.querySelectorAll("." + name).forEach(function (button) {
        if (button === bound || button.dataset.bookForwarded) {
          return;
        }
        button.dataset.bookForwarded = "1";
        button.addEventListener("click", function (event) {
          event.preventDefault();
          event.stopPropagation();
          bound.click();
          button.blur();  // drop the tooltip
        });
      });
    });
  }

  // TeX -> readable text, for search snippets only (the pages themselves are typeset by MathJax).
  var SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", zeta: "ζ",
    eta: "η", theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
    sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω", Gamma: "Γ",
    Delta: "Δ", Theta: "Θ", Lambda: "Λ", Sigma: "Σ", Phi: "Φ", Psi: "Ψ", Omega: "Ω",
    sum: "Σ", prod: "Π", int: "∫", partial: "∂", nabla: "∇", infty: "∞", cdot: "·", times: "×",
    odot: "⊙", otimes: "⊗", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈",
    sim: "~", propto: "∝", in: "∈", to: "→", rightarrow: "→", leftarrow: "←", mapsto: "↦",
    pm: "±", dots: "…", ldots: "…", cdots: "⋯", top: "ᵀ", mid: "|", log: "log", exp: "exp",
    max: "max", min: "min", arg: "arg", tanh: "tanh", sqrt: "√", quad: " ", qquad: " ",
  };

  function texToText(tex) {
    var text = tex.replace(/^\s*(\\\(|\\\[|\$\$?)/, "").replace(/(\\\)|\\\]|\$\$?)\s*$/, "");
    text = text.replace(/\\begin\{[a-z*]+\}|\\end\{[a-z*]+\}/g, " ");
    text = text.replace(/\\frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)");
    text = text.replace(/\\(left|right|big|Big|bigg|Bigg)\b/g, "");
    text = text.replace(/\\(mathrm|mathbf|mathcal|mathbb|boldsymbol|operatorname|text|textrm|textbf|hat|bar|tilde|vec)\s*/g, "");
    text = text.replace(/\\([A-Za-z]+)/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(SYMBOLS, name) ? SYMBOLS[name] : name;
    });
    text = text.replace(/\\[,;:! ]/g, " ").replace(/\\\\/g, "; ").replace(/&/g, "");
    text = text.replace(/\\([{}|%$#_])/g, "$1").replace(/[{}]/g, "");
    return text.replace(/\s+/g, " ").trim();
  }

  function cleanSearchSnippets() {
    // searchtools.js declares `const Search`: a global binding, but not a property of window.
    var search = typeof Search !== "undefined" ? Search : window.Search;
    if (!search || !search.htmlToText || search.htmlToText.bookCleaned) {
      return;
    }
    var original = search.htmlToText;
    var cleaned = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".tag_hide-input .cell_input, .tag_remove-input .cell_input").forEach(
        function (el) { el.remove(); });
      doc.querySelectorAll(".math").forEach(function (el) {
        el.textContent = " " + texToText(el.textContent) + " ";
      });
      return original.call(search, doc.documentElement.outerHTML, anchor);
    };
    cleaned.bookCleaned = true;
    search.htmlToText = cleaned;
  }

  window.bookTexToText = texToText;  // used by the browser test
  cleanSearchSnippets();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      forwardSidebarButtons();
      cleanSearchSnippets();
    });
  } else {
    forwardSidebarButtons();
  }
})();
