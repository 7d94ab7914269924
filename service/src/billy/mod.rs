//! `billy`: tenant organisations with encrypted API keys, users, TTL caches, audit log, usage metrics, rate limits.
