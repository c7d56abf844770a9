"""Templates that extend other templates (``_extends``): configs merged, files overlaid, and each
composition materialised on disk as a plain copier template."""
