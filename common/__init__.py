"""The shared floor: user errors, atomic I/O and hashing, provenance, statistics.

It imports nothing of ours (third-party only), so every other package may import it:
`errors` (`UserError`), `io` (atomic writes, the JSON writer, the file hash), `provenance`
(versions, git commit, CPU, load), `stats` (confidence intervals).
"""
