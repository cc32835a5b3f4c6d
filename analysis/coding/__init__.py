"""Coding of qualitative data: codebook, auto-coding, matrices, REFI-QDA exchange, agreement."""
