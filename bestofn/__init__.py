"""bestofn: sandboxed best-of-N code generation and reranking."""

__version__ = "0.1.0"
