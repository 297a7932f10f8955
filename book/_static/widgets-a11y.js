// Accessibility of the figure sliders in the static page (no kernel). The vendored widget manager
// leaves two glitches: every label carries title="null" (a "null" tooltip), and a SelectionSlider's
// handle announces its index (aria-valuetext "2") where the read-out shows the value ("t_w = 5").
// Keep both in step with the page: drop the "null" titles, and copy each slider's read-out into its
// handle's aria-valuetext whenever the read-out changes. The vendored files stay as published.
(function () {
  function fix(root) {
    root.querySelectorAll('[title="null"]').forEach(function (el) { el.removeAttribute("title"); });
    root.querySelectorAll(".widget-slider, .jupyter-widget-slider").forEach(function (slider) {
      var handle = slider.querySelector(".noUi-handle");
      var readout = slider.querySelector(".widget-readout");
      var label = slider.querySelector(".widget-label");
      if (!handle || !readout) return;
      var text = (readout.textContent || "").trim();
      if (text && handle.getAttribute("aria-valuetext") !== text) handle.setAttribute("aria-valuetext", text);
      if (label && label.textContent && !handle.getAttribute("aria-label")) {
        handle.setAttribute("aria-label", label.textContent.trim());
      }
    });
  }
  function start() {
    fix(document);
    new MutationObserver(function () { fix(document); }).observe(document.body, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["title"],
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
