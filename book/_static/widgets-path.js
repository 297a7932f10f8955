// The vendored widget manager (widgets/embed-amd.js) defines the AMD modules
// "@jupyter-widgets/html-manager/dist/...", "@jupyter-widgets/controls", "@jupyter-widgets/base"...;
// each finds its fonts next to its own module URL. Map them all to our copy (not the page's
// folder, not a CDN). Loaded after require.js and before embed-amd.js.
(function () {
  var widgets = document.currentScript.src.replace(/\/widgets-path\.js(\?.*)?$/, "/widgets");
  require.config({
    paths: {
      "@jupyter-widgets/html-manager/dist": widgets,
      "@jupyter-widgets": widgets,
    },
  });
})();

// The widget manager typesets labels with the MathJax 2 API (MathJax.Hub.Queue); the book loads
// MathJax 3, which has no Hub, so every slider change threw. Give it the MathJax 3 equivalent
// once the page (and MathJax) has loaded. The vendored file stays as published.
window.addEventListener("load", function () {
  var mj = window.MathJax;
  if (mj && !mj.Hub && typeof mj.typesetPromise === "function") {
    mj.Hub = {
      Queue: function (job) {
        var element = Array.isArray(job) ? job[2] : undefined;
        return mj.typesetPromise(element ? [element] : undefined).catch(function () {});
      },
    };
  }
});
