"""GraphiQL served from the project itself (no CDN): the page and its pinned assets."""
