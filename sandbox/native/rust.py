"""Rust: ``assert_eq!``/``assert_ne!``/``assert!`` of the tests become crate-local reporting macros.

MultiPL-E's shape: ``fn main() {\\n    let candidate = f;\\n    assert_eq!(candidate(...), ...);\\n}``
(older files start with the ``}`` closing the prompt's function). Each assertion runs under
``catch_unwind``, so a panic in the candidate fails that assertion only; the end marker is a guard
dropped when ``main`` returns normally (not while panicking, not on ``process::exit``).
"""

from __future__ import annotations

import re

from sandbox.native import scan
from sandbox.native.program import REPORT_FD, NativeTestsError, drop_function, join, test_name

ASSERT = r"\b(assert|assert_eq|assert_ne)!\s*\("
MAIN = r"\bfn\s+main\s*\(\s*\)[^{;]*\{"

PRELUDE = r"""
#[allow(dead_code)]
mod bestofn_native {
    use std::io::Write;
    pub fn emit(line: &str) {
        use std::os::unix::io::FromRawFd;
        let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(@FD@) });
        let _ = f.write_all(line.as_bytes());
    }
    pub fn report(k: usize, kind: char, msg: &str) {
        let msg: String = msg.chars().take(@CHARS@).map(|c| if c == '\n' || c == '\r' { ' ' } else { c }).collect();
        emit(&format!("@NONCE@ {} {} {}\n", k, kind, msg));
    }
    pub fn run<F: FnOnce() -> Option<String>>(k: usize, f: F) {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(None) => report(k, 'P', ""),
            Ok(Some(msg)) => report(k, 'F', &msg),
            Err(e) => {
                let why = e.downcast_ref::<&str>().map(|s| s.to_string())
                    .or_else(|| e.downcast_ref::<String>().cloned()).unwrap_or_default();
                report(k, 'E', &format!("panicked: {}", why))
            }
        }
    }
    pub struct End;
    impl Drop for End {
        fn drop(&mut self) {
            if !std::thread::panicking() { emit("@NONCE@ END\n"); }
        }
    }
}
#[allow(unused_macros)]
macro_rules! bestofn_assert_eq {
    ($k:expr, $left:expr, $right:expr $(, $($arg:tt)+)?) => {
        crate::bestofn_native::run($k, || match (&$left, &$right) {
            (l, r) => if *l == *r { None } else { Some(format!("left: {:?}, right: {:?}", l, r)) }
        })
    };
}
#[allow(unused_macros)]
macro_rules! bestofn_assert_ne {
    ($k:expr, $left:expr, $right:expr $(, $($arg:tt)+)?) => {
        crate::bestofn_native::run($k, || match (&$left, &$right) {
            (l, r) => if *l != *r { None } else { Some(format!("both: {:?}", l)) }
        })
    };
}
#[allow(unused_macros)]
macro_rules! bestofn_assert {
    ($k:expr, $cond:expr $(, $($arg:tt)+)?) => {
        crate::bestofn_native::run($k, || if $cond { None } else { Some(String::new()) })
    };
}
"""


def instrument(candidate: str, tests: str, nonce: str, chars: int) -> tuple[str, list[str]]:
    """(the program's source, one name per assertion)."""
    candidate = drop_function(candidate, "rust", MAIN)
    candidate, closers, rest = join(candidate, tests, "rust")
    masked = scan.mask(rest, "rust")
    if not re.search(MAIN, masked):
        raise NativeTestsError("Rust native tests need an fn main() that calls the candidate")
    out, names, last = [], [], 0
    for m in scan.words(masked, ASSERT):
        close = scan.matching(masked, m.end() - 1)
        if close < 0:
            raise NativeTestsError(f"an {m.group(1)}!( is never closed (line {rest.count(chr(10), 0, m.start()) + 1})")
        names.append(test_name(len(names), f"{m.group(1)}!({rest[m.end():close]})"))
        out.append(rest[last:m.start()] + f"bestofn_{m.group(1)}!({len(names) - 1}, ")
        last = m.end()
    out.append(rest[last:])
    body = "".join(out)
    main = re.search(MAIN, scan.mask(body, "rust"))
    assert main is not None
    body = body[: main.end()] + " let _bestofn_end = crate::bestofn_native::End;" + body[main.end():]
    prelude = PRELUDE.replace("@FD@", str(REPORT_FD)).replace("@CHARS@", str(chars)).replace("@NONCE@", nonce)
    return f"{candidate}\n{closers}{prelude}\n{body}", names
