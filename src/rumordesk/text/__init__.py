"""Text normalisation built for evasion, tokens for BM25, shingles and pinyin keys (pure)."""
