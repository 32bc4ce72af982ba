//! Upstream simulator (being written).
