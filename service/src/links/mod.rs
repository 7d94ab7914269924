//! Cross-schema links (data-model.md §4): identities by normalised email, party links, invoice ↔ Billy cache.
