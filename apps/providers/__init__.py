"""Content providers (odds feeds, stats, video): each an isolated adapter turning a provider's
messages into platform catalog changes."""
