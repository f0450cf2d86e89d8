"""Offline Kubernetes manifest validation against the pinned CRDs."""
