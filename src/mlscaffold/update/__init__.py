"""Keeping generated projects current: versions against releases, the guards, the three-way
merge of a template change, ``diff``, and updating many projects at once."""
