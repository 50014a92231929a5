"""axe-core in the browser tests: the page is checked against WCAG 2.1 A and AA, shadow DOM (the
widget's) included. axe-core comes from tests/node (npm, pinned) and is injected into the page
under test; nothing is fetched from a CDN.

axe cannot rate text over a gradient (it reports it as "incomplete"); for those this module
measures the contrast itself, against every colour stop of the gradient, and fails on the worst.
Any other undecided contrast fails too: nothing is left unchecked."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.support.node import AXE, install_packages

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_results(page: Page, *, tags: list[str] | None = None) -> dict[str, Any]:
    """axe's results for the page as it is now (violations and incomplete checks)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        install_packages()
        # Evaluated through the DevTools protocol, not as a <script> tag: the app's CSP (rightly)
        # refuses inline scripts it does not know, and the test must not weaken it.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                resultTypes: ['violations', 'incomplete']});
             const node = (n) => ({target: n.target, summary: n.failureSummary, data: n.any.map(a => a.data)});
             const brief = (list) => list.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                     nodes: v.nodes.map(node)}));
             return {violations: brief(r.violations), incomplete: brief(r.incomplete)};
           }""",
        tags or WCAG_21_AA,
    )


def describe(findings: list[dict[str, Any]]) -> str:
    lines = []
    for finding in findings:
        lines.append(f"{finding['id']} ({finding['impact']}): {finding['help']}")
        for node in finding["nodes"][:8]:
            lines.append(f"    {node['target']}: {(node['summary'] or '').splitlines()[-1:]} {node['data']}")
    return "\n".join(lines)


_GRADIENT_CONTRAST = """(targets) => {
  const find = (target) => target.flat().reduce((root, sel) => (root.shadowRoot || root).querySelector(sel), document);
  // Colours as computed styles write them: rgb()/rgba(), or color(srgb r g b) for color-mix().
  const rgb = (text) => [...text.matchAll(/rgba?\\(([^)]+)\\)|color\\(srgb ([^)]+)\\)/g)].map(m => m[1]
      ? m[1].split(/[ ,/]+/).map(Number) : m[2].split(/[ /]+/).map(v => Number(v) * 255));
  const lum = ([r, g, b]) => [r, g, b].map(c => c / 255)
      .map(c => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  return targets.map(({target, expected}) => {
    const el = find(target);
    const fg = rgb(getComputedStyle(el).color)[0];
    let node = el, stops = [];
    while (node && !stops.length) {
      if (node.nodeType === 1) stops = rgb(getComputedStyle(node).backgroundImage);
      node = node.parentNode || node.host;
    }
    const worst = stops.length ? Math.min(...stops.map(stop => ratio(fg, stop))) : 0;
    return {target, expected, worst: Math.round(worst * 100) / 100};
  });
}"""


def assert_no_violations(page: Page, where: str) -> dict[str, Any]:
    """Fail with axe's findings if the page has any WCAG 2.1 AA violation, or text whose contrast
    is undecided (over a gradient: measured here against each stop); the results otherwise."""
    results = axe_results(page)
    assert not results["violations"], f"axe-core, {where}:\n{describe(results['violations'])}"
    contrast = [f for f in results["incomplete"] if f["id"] == "color-contrast"]
    undecided, gradients = [], []
    for node in (n for f in contrast for n in f["nodes"]):
        data = node["data"][0] if node["data"] else {}
        if data.get("messageKey") == "bgGradient":
            gradients.append({"target": node["target"], "expected": float(data["expectedContrastRatio"].split(":")[0])})
        else:
            undecided.append(node)
    assert not undecided, f"axe-core could not rate the contrast of, {where}: {undecided}"
    measured = page.evaluate(_GRADIENT_CONTRAST, gradients) if gradients else []
    low = [m for m in measured if m["worst"] < m["expected"]]
    assert not low, f"text over a gradient below AA, {where}: {low}"
    return results
