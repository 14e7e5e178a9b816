"""Prefill sources ("tell us once"): the contract, the registry of types (entry-point group
``guichet.prefill``) and a test double."""
