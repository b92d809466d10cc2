"""The paper's baselines: RCARS, SCHRS and HCRAS (`policies`) and the genetic algorithm behind
SCHRS and HCRAS (`ga`)."""
