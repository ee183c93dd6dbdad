"""The Credible-style admin API (/api/v0): organizations, projects, permissions, group service tokens."""
