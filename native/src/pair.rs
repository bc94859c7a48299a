//! `Pair`: two f64 lanes, the unit the kernels use to run two independent recurrences at once.
//!
//! On x86_64 it is an SSE2 register (SSE2 is part of the x86_64 baseline, so the addon needs no CPU
//! detection and runs on any x86_64 machine); elsewhere it is two scalars, which compilers vectorise where
//! the target allows. Each lane operation is one IEEE-754 double operation, never fused, so both forms
//! give the same bits as the scalar TypeScript reference.

#[cfg(target_arch = "x86_64")]
mod implementation {
    use core::arch::x86_64::{
        __m128d, _mm_add_pd, _mm_load_sd, _mm_loadh_pd, _mm_loadu_pd, _mm_mul_pd, _mm_set1_pd,
        _mm_storeh_pd, _mm_storel_pd, _mm_storeu_pd, _mm_cvtsd_f64, _mm_unpackhi_pd, _mm_unpacklo_pd,
    };

    #[derive(Clone, Copy)]
    pub struct Pair(__m128d);

    impl Pair {
        #[inline(always)]
        pub fn splat(value: f64) -> Pair {
            // SAFETY: SSE2 is always available on x86_64.
            Pair(unsafe { _mm_set1_pd(value) })
        }

        /// (*first, *second).
        /// SAFETY: both pointers must be valid for reading one f64.
        #[inline(always)]
        pub unsafe fn gather(first: *const f64, second: *const f64) -> Pair {
            Pair(_mm_loadh_pd(_mm_load_sd(first), second))
        }

        /// *first = lane 0, *second = lane 1.
        /// SAFETY: both pointers must be valid for writing one f64.
        #[inline(always)]
        pub unsafe fn scatter(self, first: *mut f64, second: *mut f64) {
            _mm_storel_pd(first, self.0);
            _mm_storeh_pd(second, self.0);
        }

        /// (*address, *(address + 1)), any alignment.
        /// SAFETY: address must be valid for reading two f64.
        #[inline(always)]
        pub unsafe fn load(address: *const f64) -> Pair {
            Pair(_mm_loadu_pd(address))
        }

        /// SAFETY: address must be valid for writing two f64.
        #[inline(always)]
        pub unsafe fn store(self, address: *mut f64) {
            _mm_storeu_pd(address, self.0);
        }

        #[inline(always)]
        pub fn add(self, other: Pair) -> Pair {
            Pair(unsafe { _mm_add_pd(self.0, other.0) })
        }

        /// (self[0], other[0]).
        #[inline(always)]
        pub fn interleave_low(self, other: Pair) -> Pair {
            Pair(unsafe { _mm_unpacklo_pd(self.0, other.0) })
        }

        /// (self[1], other[1]).
        #[inline(always)]
        pub fn interleave_high(self, other: Pair) -> Pair {
            Pair(unsafe { _mm_unpackhi_pd(self.0, other.0) })
        }

        #[inline(always)]
        pub fn mul(self, other: Pair) -> Pair {
            Pair(unsafe { _mm_mul_pd(self.0, other.0) })
        }


        #[inline(always)]
        pub fn low(self) -> f64 {
            unsafe { _mm_cvtsd_f64(self.0) }
        }

        #[inline(always)]
        pub fn high(self) -> f64 {
            unsafe { _mm_cvtsd_f64(_mm_unpackhi_pd(self.0, self.0)) }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod implementation {
    #[derive(Clone, Copy)]
    pub struct Pair([f64; 2]);

    impl Pair {
        #[inline(always)]
        pub fn splat(value: f64) -> Pair {
            Pair([value, value])
        }

        /// SAFETY: both pointers must be valid for reading one f64.
        #[inline(always)]
        pub unsafe fn gather(first: *const f64, second: *const f64) -> Pair {
            Pair([first.read(), second.read()])
        }

        /// SAFETY: both pointers must be valid for writing one f64.
        #[inline(always)]
        pub unsafe fn scatter(self, first: *mut f64, second: *mut f64) {
            first.write(self.0[0]);
            second.write(self.0[1]);
        }

        /// SAFETY: address must be valid for reading two f64.
        #[inline(always)]
        pub unsafe fn load(address: *const f64) -> Pair {
            Pair([address.read_unaligned(), address.add(1).read_unaligned()])
        }

        /// SAFETY: address must be valid for writing two f64.
        #[inline(always)]
        pub unsafe fn store(self, address: *mut f64) {
            address.write_unaligned(self.0[0]);
            address.add(1).write_unaligned(self.0[1]);
        }

        #[inline(always)]
        pub fn add(self, other: Pair) -> Pair {
            Pair([self.0[0] + other.0[0], self.0[1] + other.0[1]])
        }

        #[inline(always)]
        pub fn interleave_low(self, other: Pair) -> Pair {
            Pair([self.0[0], other.0[0]])
        }

        #[inline(always)]
        pub fn interleave_high(self, other: Pair) -> Pair {
            Pair([self.0[1], other.0[1]])
        }

        #[inline(always)]
        pub fn mul(self, other: Pair) -> Pair {
            Pair([self.0[0] * other.0[0], self.0[1] * other.0[1]])
        }


        #[inline(always)]
        pub fn low(self) -> f64 {
            self.0[0]
        }

        #[inline(always)]
        pub fn high(self) -> f64 {
            self.0[1]
        }
    }
}

pub use implementation::Pair;
