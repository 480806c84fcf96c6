"""tuopin (脱贫): a GraphQL API that runs China's poverty-exit procedures."""

__version__ = "0.1.0"
