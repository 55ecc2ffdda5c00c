//! Integration tests of the Ballast program against the real SPL programs.
#![allow(deprecated)]

mod cases;
