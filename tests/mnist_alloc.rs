//! How much `read_idx` allocates: a global allocator records the largest
//! block asked for. A tiny input that declares a huge size must not make
//! the reader reserve that size up front, and a complete file comes back in
//! a buffer of exactly its length. (One test in this binary, so no other
//! test's allocations mix in.)
#![cfg(feature = "std")]

use deepinit::mnist::{ReadIdxError, read_idx};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator, which
// upholds the `GlobalAlloc` contract; the counter only observes sizes.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc`/`realloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as received from the caller, who owns `ptr`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// A rank-1 u8 IDX header declaring `n` bytes of data.
fn header(n: u32) -> Vec<u8> {
    let mut h = vec![0, 0, 0x08, 1];
    h.extend_from_slice(&n.to_be_bytes());
    h
}

#[test]
fn read_idx_allocates_with_the_bytes_delivered() {
    const MIB: usize = 1 << 20;
    // 8 bytes that declare 10⁹: truncated, after at most a 1 MiB buffer.
    let tiny = header(1_000_000_000);
    LARGEST.store(0, Ordering::Relaxed);
    let err = read_idx(&tiny[..], 1 << 31).unwrap_err();
    assert!(matches!(err, ReadIdxError::Idx(_)), "{err}");
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(largest <= 8 + MIB, "{largest} bytes for an 8-byte input");
    // 3 MiB delivered of 10⁹ declared: at most 2·D + 1 MiB.
    let mut short = header(1_000_000_000);
    short.resize(8 + 3 * MIB, 7);
    LARGEST.store(0, Ordering::Relaxed);
    read_idx(&short[..], 1 << 31).unwrap_err();
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest <= 8 + 7 * MIB,
        "{largest} bytes for 3 MiB delivered"
    );
    // A complete file of 5 MiB + 3: its exact size, no slack.
    let n = 5 * MIB + 3;
    let mut whole = header(n as u32);
    whole.extend((0..n).map(|i| i as u8));
    let bytes = read_idx(&whole[..], 1 << 31).unwrap();
    assert_eq!(bytes, whole);
    assert_eq!(bytes.capacity(), whole.len());
}
