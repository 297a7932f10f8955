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
