"""The audit domain: the hash chain and its verification. Imports no infrastructure."""
