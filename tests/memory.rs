//! Secrets do not outlive their use in process memory: after a token is replaced or cleared and
//! after the client is freed, neither the token nor the API key is anywhere in this process's
//! readable memory (freed heap included), so no core dump or memory scan finds them.
//!
//! The test reads its own memory through `/proc/self/mem`. It never holds a plain copy of a
//! secret itself: each one is generated straight into the `String` handed to the library, and the
//! test keeps only a masked copy (every byte XOR 0xA5) to search with. No request is sent: the
//! HTTP stack's own buffers (a formatted request) are outside what the library can zero, as
//! SECURITY.md says.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use modio_market::{Client, Config, Secret};

const MASK: u8 = 0xA5;

/// A fresh random secret of `len` hex digits, and the masked copy of its tail from byte 16 on:
/// glibc reuses the first 16 bytes of a freed chunk for its free lists, so a whole-secret search
/// would miss a secret left in freed memory; its tail stays (at least 16 hex digits: 64 bits).
fn secret(len: usize, seed: u128) -> (String, Vec<u8>) {
    let mut plain = String::with_capacity(len); // one allocation: no stale copy from regrowth
    let mut x = seed | 1;
    for _ in 0..len {
        x = x.wrapping_mul(0x2545_F491_4F6C_DD1D_2545_F491_4F6C_DD1D).wrapping_add(0x9E37_79B9);
        plain.push(b"0123456789abcdef"[(x >> 100) as usize & 0xF] as char);
    }
    let masked = plain.bytes().skip(16).map(|b| b ^ MASK).collect();
    (plain, masked)
}

fn seed() -> u128 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    t.as_nanos() ^ (u128::from(std::process::id()) << 64)
}

/// How many times the masked `needle` occurs in this process's readable memory, skipping the
/// scanner's own buffer.
fn occurrences(needle: &[u8], buffer: &mut [u8]) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mem = File::open("/proc/self/mem").unwrap();
    let own = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
    let first = needle[0] ^ MASK;
    let mut found = 0;
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else { continue };
        let name = fields.nth(3).unwrap_or("");
        if !perms.starts_with('r') || name == "[vvar]" || name == "[vsyscall]" || name == "[vvar_vclock]" {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let (start, end) = (usize::from_str_radix(start, 16).unwrap(), usize::from_str_radix(end, 16).unwrap());
        let mut at = start;
        while at < end {
            let len = (end - at).min(buffer.len());
            let chunk = &mut buffer[..len];
            let read = mem.read_at(chunk, at as u64).unwrap_or(0);
            for i in 0..read.saturating_sub(needle.len() - 1) {
                if chunk[i] == first
                    && !own.contains(&(at + i))
                    && chunk[i..i + needle.len()].iter().zip(needle).all(|(b, n)| b ^ MASK == *n)
                {
                    found += 1;
                }
            }
            chunk.fill(0); // the buffer may now hold a copy: never leave one behind
                           // Overlap so a secret across a chunk edge is still seen.
            at += if len == buffer.len() && read == len { len - (needle.len() - 1) } else { len };
        }
    }
    found
}

#[test]
fn tokens_and_the_api_key_are_zeroed_when_replaced_cleared_and_freed() {
    let mut buffer = vec![0u8; 1 << 20];
    let (api_key, api_key_masked) = secret(32, seed());
    let (token_a, token_a_masked) = secret(48, seed().rotate_left(17));
    let (token_b, token_b_masked) = secret(48, seed().rotate_left(41));

    // A loopback port nobody listens on: nothing is ever sent.
    let config = Config::new(1, Secret::new(api_key)).base_url("http://127.0.0.1:9/v1").shutdown_timeout(Duration::from_millis(100));
    let client = Client::new(config).unwrap();
    client.set_access_token(Some(Secret::new(token_a)));
    // The control: the scanner finds secrets that are alive.
    assert!(occurrences(&api_key_masked, &mut buffer) >= 1, "the scanner must see the live API key");
    assert!(occurrences(&token_a_masked, &mut buffer) >= 1, "the scanner must see the live token");

    client.set_access_token(Some(Secret::new(token_b)));
    assert_eq!(occurrences(&token_a_masked, &mut buffer), 0, "the replaced token is still in memory");
    assert!(occurrences(&token_b_masked, &mut buffer) >= 1);

    client.set_access_token(None);
    assert_eq!(occurrences(&token_b_masked, &mut buffer), 0, "the cleared token is still in memory");
    assert!(occurrences(&api_key_masked, &mut buffer) >= 1);

    drop(client);
    assert_eq!(occurrences(&api_key_masked, &mut buffer), 0, "the API key outlived the client");
}
