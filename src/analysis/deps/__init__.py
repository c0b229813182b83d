"""A repository's dependencies as its manifests and lockfiles state them (`inventory.py`), and how
versions compare in each ecosystem (`versions.py`). Pure reading: no network, no daemon."""
