/* Broadsheet's search index for Pagefind's UI: Pagefind's own module, with the archive's shards
   merged in and date order kept across them. PagefindUI loads it as `${bundlePath}pagefind.js`.

   The index is split into shards (generator/search.py): pagefind/ is the main bundle, and
   pagefind/shards.json lists the others, which are merged with Pagefind's mergeIndex. Two things
   the merge does not do on its own are done here:
   - every search waits until every shard is merged and all of its filters are loaded. The UI
     keeps the filter list of whichever finishes first, its load of every filter or its first
     search, and a search counts only the filters loaded by then: a search started at once (?q=)
     showed some filters and not others.
   - merged filters list values in the order the shards brought them, so they are put back in
     name order, as one bundle lists them.
   - a sorted search is sorted within each shard only (a result's score is its place in its own
     shard), so the merged results are put in the order of every page by that sort, which
     pagefind/sort-<name>.json lists. */
import * as pagefind from "../../pagefind/pagefind.js";

export * from "../../pagefind/pagefind.js";

var bundle = new URL("../../pagefind/", import.meta.url);
var orders = {};

function fetchJson(name) {
  return fetch(new URL(name, bundle), { cache: "no-cache" }).then(function (response) {
    if (!response.ok) { throw new Error(name + ": HTTP " + response.status); }
    return response.json();
  });
}

var listing = fetchJson("shards.json").catch(function () { return { bundles: [], sorts: {} }; });

var ready = listing.then(function (shards) {
  return Promise.all(shards.bundles.map(function (folder) {  /* one missing: search the rest */
    return pagefind.mergeIndex(new URL(folder, bundle).pathname).catch(function (error) {
      console.error("Search shard " + folder + " could not be loaded: " + error);
    });
  }));
}).then(function () { return pagefind.filters(); });

/* fragment name -> place in the order of `name`, or null without one. */
function order(name) {
  if (!orders[name]) {
    orders[name] = listing.then(function (shards) {
      var file = shards.sorts && shards.sorts[name];
      if (!file) { return null; }
      return fetchJson(file).then(function (fragments) {
        var places = new Map();
        fragments.forEach(function (fragment, place) { places.set(fragment, place); });
        return places;
      });
    }).catch(function () { return null; });
  }
  return orders[name];
}

function byName(object) {
  var sorted = {};
  Object.keys(object || {}).sort().forEach(function (key) {
    var value = object[key];
    sorted[key] = value && typeof value === "object" ? byName(value) : value;
  });
  return sorted;
}

function sortAcrossShards(found, options) {
  if (found) {
    found.filters = byName(found.filters);
    found.totalFilters = byName(found.totalFilters);
  }
  var sort = options && options.sort && Object.entries(options.sort)[0];
  if (!found || !sort) { return found; }
  return order(sort[0]).then(function (places) {
    if (!places) { return found; }
    var sign = sort[1] === "desc" ? -1 : 1;
    function place(result) {
      var at = places.get(result.id);
      return at === undefined ? null : sign * at;
    }
    found.results.sort(function (a, b) {  /* a result without a place (none expected) goes last */
      var x = place(a), y = place(b);
      return x === null ? (y === null ? 0 : 1) : (y === null ? -1 : x - y);
    });
    return found;
  });
}

export function search(term, options) {
  return ready.then(function () { return pagefind.search(term, options); })
    .then(function (found) { return sortAcrossShards(found, options); });
}

export function debouncedSearch(term, options, debounceTimeoutMs) {
  return ready.then(function () { return pagefind.debouncedSearch(term, options, debounceTimeoutMs); })
    .then(function (found) { return sortAcrossShards(found, options); });
}

export function preload(term, options) {
  return ready.then(function () { return pagefind.preload(term, options); });
}

export function filters() {
  return ready.then(function () { return pagefind.filters(); }).then(byName);
}

/* Resolves once every shard is merged and its filters are loaded. */
export function loaded() {
  return ready;
}
