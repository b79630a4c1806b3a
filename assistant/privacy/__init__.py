"""Consent exclusions and PII redaction, applied at every read that feeds training or retrieval."""

from assistant.privacy.policy import Exclusions, PrivacyPolicy, exclusions, usable_threads

__all__ = ["Exclusions", "PrivacyPolicy", "exclusions", "usable_threads"]
