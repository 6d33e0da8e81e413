"""Agents of the memory family: a planner in the spirit of mallocMuZero and MaskablePPO.

The planner is AlphaZero-style: its tree search (:mod:`.mcts`) steps the real mapping simulator
(:mod:`.search_state`), not a learned model of it as MuZero does; a policy/value network
(:mod:`.network`) trained by self-play (:mod:`.training`) guides it, and :func:`.planner.plan`
returns its mapping or, when faster, the XLA-style greedy's. :mod:`.ppo` trains MaskablePPO on
the mapping env for comparison.
"""
