//! Integration tests of vax-scan; modules mirror `src/`.

mod camera;
mod debounce;
mod pipeline;
mod source;
mod support;
mod worker;
