"""Generating a project: what to render, the questions and their answers, the atomic render into
a git repository (or a monorepo folder), and the next steps printed after it."""
