"""Where a template comes from: built-in names, folders and git URLs, the built-in templates'
release histories, publishing their releases, and exporting templates to customise them."""
