"""Consent exclusions and PII redaction, applied at every read that feeds training or retrieval."""

from assistant.privacy.policy import PrivacyPolicy, usable_threads

__all__ = ["PrivacyPolicy", "usable_threads"]
