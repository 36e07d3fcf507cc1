"""A Q-learning agent with a Transformer memory: remember a cue, act on it later.

Each episode shows one of N_CUES cues at step 0, then blank steps, then a "decide" flag
at the last step, where the action matching the cue earns reward 1 (any other earns 0).
The last observation alone says nothing about the cue, so a memoryless agent is right
1 time in N_CUES; `NetworkTransformerRL` attends back to step 0 and learns to be right
nearly always, while the same agent with a window of one step stays at chance. Many
episodes run side by side; one Q-learning update covers every step of every episode of
a round (targets r + gamma max Q(next), only the taken action's Q).

Usage:
    python scripts/examples/rl_memory.py
    python scripts/examples/rl_memory.py --rounds 300 --seed 1
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sudoku_tf.nn import Adam, NetworkTransformerRL

N_CUES = 3                   # cues and actions
EPISODE_LEN = 4              # cue, two blank steps, decide
OBS_DIM = N_CUES + 1         # one-hot cue + the decide flag
GAMMA = 0.9


def observations(cues: np.ndarray) -> np.ndarray:
    """Every observation of a batch of episodes: (B, EPISODE_LEN, OBS_DIM)."""
    obs = np.zeros((len(cues), EPISODE_LEN, OBS_DIM), np.float32)
    obs[np.arange(len(cues)), 0, cues] = 1                # the cue, shown once
    obs[:, -1, -1] = 1                                    # time to decide
    return obs


def greedy_success(model: NetworkTransformerRL, n: int, rng: np.random.Generator) -> float:
    """How often the greedy action at the last step matches the cue."""
    cues = rng.integers(0, N_CUES, n)
    return float((model.predict(observations(cues)).argmax(-1) == cues).mean())


def train_agent(rounds: int = 150, window: int = EPISODE_LEN, batch: int = 32,
                seed: int = 0) -> tuple[float, float]:
    """Q-learning for some rounds with a memory of `window` steps.

    Returns the greedy success rate before and after training.
    """
    rng = np.random.default_rng(seed)
    model = NetworkTransformerRL(window, OBS_DIM, d_model=16, n_heads=2, d_ff=32,
                                 n_blocks=1, n_actions=N_CUES, optimizer=lambda: Adam(lr=3e-3),
                                 seed=seed)
    before = greedy_success(model, 600, rng)
    for r in range(rounds):
        epsilon = max(0.1, 1 - r / (0.5 * rounds))
        cues = rng.integers(0, N_CUES, batch)
        obs = observations(cues)
        histories = [o[:t + 1] for t in range(EPISODE_LEN) for o in obs]   # step-major
        q = model.predict(histories).reshape(EPISODE_LEN, batch, N_CUES)
        explore = rng.random((EPISODE_LEN, batch)) < epsilon
        actions = np.where(explore, rng.integers(0, N_CUES, (EPISODE_LEN, batch)), q.argmax(-1))
        # reward only at the last step; earlier steps bootstrap from the next one
        targets = np.zeros((EPISODE_LEN, batch), np.float32)
        targets[-1] = actions[-1] == cues
        targets[:-1] = GAMMA * q[1:].max(-1)
        mask = np.eye(N_CUES, dtype=np.float32)[actions]  # only the taken action's Q
        model.train(histories, (targets[..., None] * mask).reshape(-1, N_CUES),
                    mask=mask.reshape(-1, N_CUES))
    return before, greedy_success(model, 600, rng)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"greedy success rate (chance {1 / N_CUES:.0%}):")
    for window, label in [(EPISODE_LEN, "whole episode"), (1, "last step only")]:
        before, after = train_agent(args.rounds, window, seed=args.seed)
        print(f"  memory of {window} step(s), {label}: {before:.0%} before training, "
              f"{after:.0%} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
