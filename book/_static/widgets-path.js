// The vendored widget manager (widgets/embed-amd.js) finds its fonts next to the AMD module
// "@jupyter-widgets/html-manager/dist/..."; map that module path to our copy (not the page's
// folder, not a CDN). Loaded after require.js and before embed-amd.js.
require.config({
  paths: {
    "@jupyter-widgets/html-manager/dist": document.currentScript.src.replace(/\/widgets-path\.js(\?.*)?$/, "/widgets"),
  },
});
