"""Consent exclusions and PII redaction, applied at every read that feeds training, retrieval or drafting."""

from assistant.privacy.policy import Exclusions, PrivacyPolicy, ReadRules, exclusions, read_rules, usable_threads

__all__ = ["Exclusions", "PrivacyPolicy", "ReadRules", "exclusions", "read_rules", "usable_threads"]
