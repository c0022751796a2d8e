//! App-server protocol tests.
