"""Text normalisation built for evasion, tokens for BM25, shingles and pinyin keys (pure).

- ``rumordesk.text.normalize``: ``normalize(text)``, the evasion-undoing pipeline.
- ``rumordesk.text.tokens``: ``tokenize(text)``, ``char_shingles(text, k)``, ``pinyin_key(text)``.
- ``rumordesk.text.pinyin``: pinyin keys for homophones; ``rumordesk.text.confusables``: tables.

Nothing is re-exported here, so ``rumordesk.text.normalize`` always names the module.
"""
