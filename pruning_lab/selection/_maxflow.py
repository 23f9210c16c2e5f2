"""Maximum flow and minimum cut with float capacities (Dinic's algorithm), for :mod:`.submodular`.

Augmenting paths along shortest residual paths, pushed in blocking-flow phases; capacities stay
floats (no rounding), and a residual capacity below :math:`10^{-12}` times the total capacity
counts as saturated.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["FlowGraph"]


class FlowGraph:
    """A residual graph on nodes ``0..n_nodes-1`` for Dinic's maximum flow with float capacities.

    Add edges with :meth:`add`, then :meth:`source_side` runs the flow and returns the minimum cut.
    """

    def __init__(self, n_nodes):
        self.adj = [[] for _ in range(n_nodes)]
        self.to, self.cap = [], []

    def add(self, u, v, c):
        """Add the edge u -> v with capacity c (and its residual partner v -> u, capacity 0)."""
        self.adj[u].append(len(self.to))
        self.to.append(v)
        self.cap.append(float(c))
        self.adj[v].append(len(self.to))
        self.to.append(u)
        self.cap.append(0.0)

    def _levels(self, s, tol):
        level = [-1] * len(self.adj)
        level[s] = 0
        queue = deque([s])
        while queue:
            u = queue.popleft()
            for e in self.adj[u]:
                if self.cap[e] > tol and level[self.to[e]] < 0:
                    level[self.to[e]] = level[u] + 1
                    queue.append(self.to[e])
        return level

    def _augment(self, s, t, level, pointer, tol):
        """Find one augmenting path in the level graph (iteratively) and push its bottleneck."""
        path, u = [], s
        while u != t:
            while pointer[u] < len(self.adj[u]):
                e = self.adj[u][pointer[u]]
                if self.cap[e] > tol and level[self.to[e]] == level[u] + 1:
                    break
                pointer[u] += 1
            else:
                if u == s:
                    return False
                level[u] = -1  # dead end: retreat
                u = self.to[path.pop() ^ 1]
                continue
            path.append(self.adj[u][pointer[u]])
            u = self.to[path[-1]]
        push = min(self.cap[e] for e in path)
        for e in path:
            self.cap[e] -= push
            self.cap[e ^ 1] += push
        return True

    def source_side(self, s, t):
        """Run the maximum flow and return the nodes reachable from s in the residual graph."""
        tol = 1e-12 * max(1.0, sum(self.cap))
        while True:
            level = self._levels(s, tol)
            if level[t] < 0:
                return np.array(level) >= 0
            pointer = [0] * len(self.adj)
            while self._augment(s, t, level, pointer, tol):
                pass
