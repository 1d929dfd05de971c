"""``tarjama evaluate``: quality figures on a newsroom's own test set.

The way of one evaluation, module by module:

* :mod:`~worker.evaluation.datafile`: read (source, reference) pairs from TSV or JSONL;
  every malformed line becomes a :class:`~worker.evaluation.datafile.LineProblem`;
* :mod:`~worker.evaluation.configs`: one configuration (model, engine, compute type, beams)
  as overrides of the worker's settings;
* :mod:`~worker.evaluation.runner`: run a configuration through the worker's own pipeline
  (``ModelRegistry``, ``translate_document``, ``summarize_text``);
* :mod:`~worker.evaluation.metrics`: BLEU and chrF (sacrebleu), ROUGE (rouge-score);
* :mod:`~worker.evaluation.report`: rows, differences, the terminal table and the JSON;
* :mod:`~worker.evaluation.command`: the two commands, glued together.

Nothing here imports torch, sacrebleu or rouge-score at import time.
"""
