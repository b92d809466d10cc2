"""Closed-loop validation: the one stage that joins `profiling` (real inpainting runs) and `rl`
(the policies whose decisions are replayed). `closed_loop.main(args.ValidateArgs)` is
`t2drl validate`; method and results in docs/validation.md."""
