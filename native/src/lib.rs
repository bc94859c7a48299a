//! Octopus numeric kernels as a Node-API addon (loaded by src/kernels/backend.ts).
//!
//! The napi functions stay thin: they borrow the caller's Float64Arrays without copying, check the
//! arguments (the TS facade has already checked them; these checks keep the unsafe code below sound even
//! if something else calls the addon), and run a kernel that writes into the caller's output array.
//! Failures are returned as errors with Status::InvalidArg and a message that starts with the same
//! ERR_KERNEL_* code the TS facade uses, never as panics; `catch_unwind` turns a broken assertion into a
//! JS exception instead of aborting the whole process.
//!
//! Naming: every export is `<family>_<kernel>` in Rust and, by napi-rs's default conversion,
//! `<family><Kernel>` in JS, for the families moving_average, indicator, stats and optimizer; each family
//! reports its recipe version as `<family>_version` (the moving averages: their EMA block length). The
//! TS loaders find a kernel by that rule (src/kernels/indicators/compiled-primitives.ts).

mod arguments;
mod indicators;
mod linalg;
mod moving_average;
mod optimizer;
mod pair;
mod risk;
mod stats;
