"""The bodies of the ``nngarden`` commands: each reads the parsed arguments, does the work through the
library, prints and returns the exit code. ``cli.py`` holds the parser and imports a command's module
only when that command runs, so ``nngarden --help`` and ``list`` stay cheap.

- ``notes``: ``list``, ``rejudge`` (and ``resolve_config``, shared with ``run`` and ``train``)
- ``run``: ``run`` (one note, or ``--all`` with each note in its own process)
- ``garden``: ``report``, ``serve``
- ``train``: ``train`` (a note's language model as a long, resumable run)
- ``sample``, ``fill``: use a trained GPT or BERT checkpoint
- ``export``: a GPT checkpoint as a Hugging Face folder or ONNX
- ``data``: ``data fetch`` / ``data list``, the files notes read that no import provides
"""
