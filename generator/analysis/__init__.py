"""Pure functions over the whole archive: stories and versions, diffs, related, taxonomies."""
