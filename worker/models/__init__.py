"""The model lifecycle: finding weights, converting, loading and running, one home each.

* :mod:`.spec`: :class:`~.spec.ModelSpec`, which weights a stage's model comes from (a leaf).
* :mod:`.engine`: what the pipeline knows of an engine: the ``Translator`` and
  ``Summarizer`` Protocols, ``ModelInfo``, ``Decoding`` (no torch).
* :mod:`.weights`: a Hub id or a path to a local checkpoint (download, how-to-fix messages).
* :mod:`.registry`: which model path serves ``TARJAMA_ENGINE`` (``prepare`` in the parent,
  before forking) and the models of one worker process (``ModelRegistry``).
* one subpackage per model path, each with ``prepare``, ``load_translator`` and
  ``load_summarizer`` in its ``__init__`` (see :class:`~.registry.ModelPath`):
  :mod:`.transformers` (the reference, torch) and :mod:`.ctranslate2` (converted once, no
  torch in the worker).

A new model of an existing architecture needs only settings. A new architecture is a
module in its path's subpackage, picked by that path's loaders; a new engine is a
subpackage, picked in :func:`.registry.model_path`. Nothing here is imported at package
import: import the module you need.
"""
