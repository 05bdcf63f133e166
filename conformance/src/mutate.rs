//! Mutation operators: one per rule, turning a legal trace into one that breaks it (placeholder).
