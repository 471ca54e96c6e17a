//! Per-request state indexed by request id, of which only a window is held: ids below the
//! window's first were evicted (their requests finished and their records were handed on), ids
//! at or past its end have not been read yet. A run that holds every request (the default)
//! never evicts, so the window is `0..n` throughout.

use std::ops::{Index, IndexMut};

/// Items for ids `first()..end()`, stored in one vector so the held ones are one slice.
#[derive(Clone, Debug)]
pub(crate) struct IdWindow<T> {
    /// Id of `items[0]`.
    base: u32,
    /// Evicted items still at the front of `items` (dropped in bulk, amortised O(1)).
    head: usize,
    items: Vec<T>,
}

impl<T> Default for IdWindow<T> {
    fn default() -> Self {
        IdWindow {
            base: 0,
            head: 0,
            items: Vec::new(),
        }
    }
}

impl<T> IdWindow<T> {
    /// A window holding `items` as ids `0..items.len()`.
    pub fn from_vec(items: Vec<T>) -> Self {
        IdWindow {
            base: 0,
            head: 0,
            items,
        }
    }

    /// An empty window with room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        Self::from_vec(Vec::with_capacity(n))
    }

    /// The first id held (the next one to evict).
    pub fn first(&self) -> u32 {
        self.base + self.head as u32
    }

    /// One past the last id held (the next one to push).
    pub fn end(&self) -> u32 {
        self.base + self.items.len() as u32
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item of `id`, if it is held.
    pub fn get(&self, id: usize) -> Option<&T> {
        let i = id.checked_sub(self.base as usize)?;
        (i >= self.head).then(|| self.items.get(i)).flatten()
    }

    /// Appends the item of id [`IdWindow::end`].
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// The held items, in id order (the first is id [`IdWindow::first`]).
    pub fn as_slice(&self) -> &[T] {
        &self.items[self.head..]
    }

    /// Evicts the first held item.
    pub fn evict_first(&mut self) {
        debug_assert!(
            self.head < self.items.len(),
            "evicting from an empty window"
        );
        self.head += 1;
        // Drop the evicted prefix once it is at least half the vector (and not tiny), so
        // each item is moved at most once on average.
        if self.head >= 4096 && self.head * 2 >= self.items.len() {
            self.items.drain(..self.head);
            self.base += self.head as u32;
            self.head = 0;
        }
    }

    fn slot(&self, id: usize) -> usize {
        let i = id.wrapping_sub(self.base as usize);
        debug_assert!(
            i >= self.head && i < self.items.len(),
            "request {id} is not held (window {}..{})",
            self.first(),
            self.end()
        );
        i
    }
}

impl<T> Index<usize> for IdWindow<T> {
    type Output = T;
    fn index(&self, id: usize) -> &T {
        &self.items[self.slot(id)]
    }
}

impl<T> IndexMut<usize> for IdWindow<T> {
    fn index_mut(&mut self, id: usize) -> &mut T {
        let i = self.slot(id);
        &mut self.items[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids keep their items across evictions and compactions; evicted ids are gone.
    #[test]
    fn ids_survive_eviction_and_compaction() {
        let mut w = IdWindow::with_capacity(0);
        for i in 0..10_000u32 {
            w.push(i * 3);
        }
        for _ in 0..6_000 {
            w.evict_first();
        }
        assert_eq!((w.first(), w.end(), w.len()), (6_000, 10_000, 4_000));
        assert_eq!(w[6_000], 18_000);
        assert_eq!(w[9_999], 29_997);
        assert_eq!(w.get(5_999), None);
        assert_eq!(w.get(10_000), None);
        assert_eq!(w.as_slice()[0], 18_000);
        w.push(1);
        assert_eq!(w[10_000], 1);
        w[10_000] = 2;
        assert_eq!(w.get(10_000), Some(&2));
        for _ in 0..4_001 {
            w.evict_first();
        }
        assert!(w.is_empty());
        assert_eq!(w.first(), 10_001);
    }
}
