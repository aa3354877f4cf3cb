/* Broadsheet search page: Pagefind's UI, with filters, date ordering and version notes. */
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || typeof PagefindUI === "undefined") { return; }
  var base = root.getAttribute("data-base") || "/";
  var params = new URLSearchParams(window.location.search);
  var order = params.get("sort");
  var select = document.getElementById("search-sort");

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var options = {
    element: "#search",
    bundlePath: base + "static/search/",  /* Pagefind with the shards merged: search/pagefind.js */
    baseUrl: base,
    showImages: false,
    showSubResults: false,
    resetStyles: false,
    openFilters: ["publication", "author", "year"],
    processResult: function (result) {
      var meta = result.meta || {};
      var notes = [];
      if (meta.date) { notes.push(escapeHtml(meta.date)); }
      if (meta.versions && Number(meta.versions) > 1 && meta.story_url) {
        notes.push('One of ' + escapeHtml(meta.versions) + ' versions of <a href="' +
          escapeHtml(meta.story_url) + '">this story</a>');
      }
      if (notes.length) {
        result.excerpt = '<span class="search-note">' + notes.join(" · ") + "</span> " + result.excerpt;
      }
      /* Shown in the note above; the UI would list them again as raw "key: value" tags. */
      delete meta.date;
      delete meta.versions;
      delete meta.story_url;
      return result;
    }
  };
  if (order === "asc" || order === "desc") {
    options.sort = { date: order };
    if (select) { select.value = order; }
  }
  var ui = new PagefindUI(options);

  /* Pagefind's input is labelled only by a title attribute; name it by the page heading. */
  function labelInput() {
    var input = root.querySelector("input.pagefind-ui__search-input");
    if (!input) { return false; }
    input.setAttribute("aria-labelledby", "search-heading");
    return true;
  }
  if (!labelInput()) {
    new MutationObserver(function (changes, observer) {
      if (labelInput()) { observer.disconnect(); }
    }).observe(root, { childList: true, subtree: true });
  }
  /* The index loads every shard and all their filters before the first search runs (see
     static/search/pagefind.js): a search started at once (?q=) shows every filter. */
  var query = params.get("q");
  if (query) { ui.triggerSearch(query); }

  if (select) {
    select.addEventListener("change", function () {
      var next = new URLSearchParams(window.location.search);
      var input = root.querySelector("input[type=text], input[type=search]");
      if (input && input.value) { next.set("q", input.value); }
      if (select.value) { next.set("sort", select.value); } else { next.delete("sort"); }
      window.location.search = next.toString();
    });
  }
}());
