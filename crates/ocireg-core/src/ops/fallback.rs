//! Trying registries in order: Docker Hub mirrors before Docker Hub.
//!
//! ```text
//! op(candidate 1) --ok--> Done
//!       \--error--> op(candidate 2) --ok--> Done
//!                         \--error--> ... the last candidate's result
//! ```
//!
//! Like docker, any failure of a mirror (unreachable, 404, 401, a bad
//! digest) moves on to the next candidate; only the last candidate's error
//! is reported, after the earlier ones were tried.

use std::ops::Range;

use super::{Context, Input, Operation, Step};
use crate::registry::Registry;

/// Runs the operation `make` builds for each candidate registry until one
/// succeeds.
pub struct Fallback<O, F> {
    candidates: Vec<Registry>,
    next: usize,
    make: F,
    current: O,
    failures: Vec<(Registry, crate::Error)>,
}

impl<O: std::fmt::Debug, F> std::fmt::Debug for Fallback<O, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback")
            .field("candidates", &self.candidates)
            .field("next", &self.next)
            .field("current", &self.current)
            .finish()
    }
}

impl<O: Operation, F: FnMut(&Registry) -> O> Fallback<O, F> {
    /// Tries `candidates` in order (see [`Registry::candidates`]); an
    /// empty list is an [`Error::InvalidInput`](crate::Error::InvalidInput).
    pub fn new(candidates: Vec<Registry>, mut make: F) -> Result<Fallback<O, F>, crate::Error> {
        let Some(first) = candidates.first() else {
            return Err(crate::Error::InvalidInput {
                what: "registry candidates",
                message: "no registry to try".into(),
            });
        };
        let current = make(first);
        Ok(Fallback {
            candidates,
            next: 1,
            make,
            current,
            failures: Vec::new(),
        })
    }

    /// The registry being tried.
    pub fn registry(&self) -> &Registry {
        &self.candidates[self.next - 1]
    }

    /// The failures of the candidates tried before the current one.
    pub fn failures(&self) -> &[(Registry, crate::Error)] {
        &self.failures
    }
}

impl<O: Operation, F: FnMut(&Registry) -> O> Operation for Fallback<O, F> {
    type Output = (Registry, O::Output);

    fn poll(&mut self, cx: &mut Context<'_>) -> Step<Self::Output> {
        loop {
            match self.current.poll(cx) {
                Step::Done(Ok(out)) => return Step::Done(Ok((self.registry().clone(), out))),
                Step::Done(Err(e)) if self.next < self.candidates.len() => {
                    self.failures.push((self.registry().clone(), e));
                    self.current = (self.make)(&self.candidates[self.next]);
                    self.next += 1;
                }
                Step::Done(Err(e)) => return Step::Done(Err(e)),
                Step::Send(r) => return Step::Send(r),
                Step::Read => return Step::Read,
                Step::Sleep(d) => return Step::Sleep(d),
            }
        }
    }

    fn handle(&mut self, cx: &mut Context<'_>, input: Input<'_>) -> Range<usize> {
        self.current.handle(cx, input)
    }
}
