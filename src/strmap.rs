//! Compact text for large clusters: [`Str`], a string whose clones share one allocation, and
//! [`StrMap`], the small ordered map behind [`Labels`](crate::Labels) and
//! [`ResourceList`](crate::ResourceList).
//!
//! A 100,000-node cluster repeats the same few hundred label keys, values, resource names,
//! namespaces and owner names millions of times. Parsing and the synthetic generator give every
//! repeat the same [`Str`], so it is stored once; a map is one flat list of pairs, searched in
//! order, which for the ten or so entries of a label set is faster than hashing and takes a
//! quarter of the memory of a hash map.

use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::resources::Container;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An immutable string that is cheap to clone: clones share one allocation.
///
/// It reads like a `&str` (it dereferences to one, compares with `str`, `&str` and `String`,
/// and displays as itself) and is made with `.into()` from either.
///
/// # Example
/// ```
/// use daemonset_planner::Str;
/// let a: Str = "kube-system".into();
/// let b = a.clone(); // no copy of the text
/// assert_eq!(b, "kube-system");
/// assert_eq!(b.len(), 11);
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(Arc<str>);

impl Str {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared text as an `Arc<str>`, without copying it.
    pub(crate) fn to_arc(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl Default for Str {
    fn default() -> Str {
        Str(Arc::from(""))
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Str {
        Str(Arc::from(s))
    }
}

impl From<String> for Str {
    fn from(s: String) -> Str {
        Str(Arc::from(s))
    }
}

impl From<&String> for Str {
    fn from(s: &String) -> Str {
        Str(Arc::from(s.as_str()))
    }
}

impl From<&Str> for Str {
    fn from(s: &Str) -> Str {
        s.clone()
    }
}

impl From<Str> for String {
    fn from(s: Str) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        *self == *other.0
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Str> for String {
    fn eq(&self, other: &Str) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Str {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Hands out one shared [`Str`] per distinct text, so repeats cost nothing.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    seen: HashSet<Str>,
    /// Container lists by fingerprint, to share identical ones between pods.
    containers: HashMap<u64, Vec<Arc<[Container]>>>,
}

impl Interner {
    /// The shared copy of `text`.
    pub(crate) fn get(&mut self, text: &str) -> Str {
        if let Some(s) = self.seen.get(text) {
            return s.clone();
        }
        let s = Str::from(text);
        self.seen.insert(s.clone());
        s
    }

    /// A label map with shared keys and values.
    pub(crate) fn labels<'a>(
        &mut self,
        raw: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> StrMap<Str> {
        let raw = raw.into_iter();
        let mut out = StrMap::with_capacity(raw.size_hint().0);
        for (k, v) in raw {
            let (k, v) = (self.get(k), self.get(v));
            out.insert(k, v);
        }
        out
    }

    /// The shared copy of a pod's container list (one per distinct list: the pods of one
    /// owner usually have identical containers).
    pub(crate) fn containers(&mut self, list: Vec<Container>) -> Arc<[Container]> {
        let mut hasher = std::hash::DefaultHasher::new();
        list.len().hash(&mut hasher);
        for c in &list {
            c.fingerprint(&mut hasher);
        }
        let same = self.containers.entry(hasher.finish()).or_default();
        let found = same.iter().find(|shared| {
            shared.len() == list.len() && shared.iter().zip(&list).all(|(a, b)| a.identical(b))
        });
        if let Some(shared) = found {
            return Arc::clone(shared);
        }
        let shared: Arc<[Container]> = list.into();
        same.push(Arc::clone(&shared));
        shared
    }

    /// The same map with shared keys.
    pub(crate) fn keys<V>(&mut self, map: StrMap<V>) -> StrMap<V> {
        StrMap {
            entries: map
                .entries
                .into_iter()
                .map(|(k, v)| (self.get(&k), v))
                .collect(),
        }
    }
}

/// A small map from [`Str`] keys to values that keeps insertion order, like the maps of a
/// Kubernetes manifest. Inserting an existing key replaces its value in place.
///
/// Lookups scan the entries: label sets and resource lists hold a handful of entries, where a
/// scan beats hashing. Two maps are equal when they hold the same pairs, in any order.
///
/// # Example
/// ```
/// use daemonset_planner::Labels;
/// let mut labels = Labels::new();
/// labels.insert("app".into(), "agent".into());
/// labels.insert("tier".into(), "node".into());
/// assert_eq!(labels.get("app").map(|v| v.as_str()), Some("agent"));
/// let keys: Vec<&str> = labels.keys().map(|k| k.as_str()).collect();
/// assert_eq!(keys, ["app", "tier"]);
/// ```
#[derive(Clone)]
pub struct StrMap<V> {
    entries: Vec<(Str, V)>,
}

impl<V> Default for StrMap<V> {
    fn default() -> Self {
        StrMap {
            entries: Vec::new(),
        }
    }
}

impl<V> StrMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        StrMap::default()
    }

    /// An empty map with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        StrMap {
            entries: Vec::with_capacity(n),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The room the map has without growing.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Make room for `n` more entries.
    pub fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
    }

    /// Make room for exactly `n` more entries.
    pub fn reserve_exact(&mut self, n: usize) {
        self.entries.reserve_exact(n);
    }

    /// Release spare room.
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| **k == *key)
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The value of `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let i = self.position(key)?;
        Some(&mut self.entries[i].1)
    }

    /// The stored key and value of `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&Str, &V)> {
        let (k, v) = &self.entries[self.position(key)?];
        Some((k, v))
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Set `key` to `value`: an existing key keeps its place and its old value is returned; a
    /// new key goes last.
    pub fn insert(&mut self, key: Str, value: V) -> Option<V> {
        match self.position(&key) {
            Some(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// The value of `key`, inserting `default` (last) when it is absent.
    pub fn get_or_insert(&mut self, key: Str, default: V) -> &mut V {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.entries.push((key, default));
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// Remove every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Remove `key`, keeping the others in order; its value is returned.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.position(key)?;
        Some(self.entries.remove(i).1)
    }

    /// Keep only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Str, &mut V) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
    }

    /// The entries, in order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            inner: self.entries.iter(),
        }
    }

    /// The entries with changeable values, in order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Str, &mut V)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Str> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values, in order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Sort the entries by key.
    pub fn sort_keys(&mut self) {
        self.entries.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

impl<V: PartialEq> PartialEq for StrMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| *v == *w))
    }
}

impl<V: Eq> Eq for StrMap<V> {}

impl<V: fmt::Debug> fmt::Debug for StrMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: Serialize> Serialize for StrMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<K: Into<Str>, W: Into<V>, V> FromIterator<(K, W)> for StrMap<V> {
    fn from_iter<I: IntoIterator<Item = (K, W)>>(iter: I) -> Self {
        let mut map = StrMap::new();
        map.extend(iter);
        map
    }
}

impl<K: Into<Str>, W: Into<V>, V> Extend<(K, W)> for StrMap<V> {
    fn extend<I: IntoIterator<Item = (K, W)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k.into(), v.into());
        }
    }
}

impl<K: Into<Str>, W: Into<V>, V, const N: usize> From<[(K, W); N]> for StrMap<V> {
    fn from(pairs: [(K, W); N]) -> Self {
        pairs.into_iter().collect()
    }
}

/// `map["key"]`: the value of a key that must be present.
///
/// # Panics
/// When the key is absent, as indexing a `HashMap` does; use [`StrMap::get`] otherwise.
impl<V> std::ops::Index<&str> for StrMap<V> {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        match self.get(key) {
            Some(v) => v,
            None => panic!("key {key:?} is not in the map"),
        }
    }
}

/// The entries of a [`StrMap`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a, V> {
    inner: std::slice::Iter<'a, (Str, V)>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a Str, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(k, v)| (k, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}

impl<V> DoubleEndedIterator for Iter<'_, V> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(k, v)| (k, v))
    }
}

impl<'a, V> IntoIterator for &'a StrMap<V> {
    type Item = (&'a Str, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Iter<'a, V> {
        self.iter()
    }
}

impl<V> IntoIterator for StrMap<V> {
    type Item = (Str, V);
    type IntoIter = std::vec::IntoIter<(Str, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_order_and_replaces_in_place() {
        let mut m: StrMap<Str> = StrMap::new();
        assert_eq!(m.insert("b".into(), "1".into()), None);
        assert_eq!(m.insert("a".into(), "2".into()), None);
        assert_eq!(m.insert("b".into(), "3".into()), Some(Str::from("1")));
        let pairs: Vec<(&str, &str)> = m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(pairs, [("b", "3"), ("a", "2")]);
        assert_eq!(m.remove("b"), Some(Str::from("3")));
        assert_eq!(m.remove("b"), None);
        assert_eq!(m.len(), 1);
        assert!(m.contains_key("a") && !m.contains_key("b"));
    }

    #[test]
    fn equality_ignores_order_and_serialises_in_order() {
        let a: StrMap<i32> = StrMap::from([("x", 1), ("y", 2)]);
        let b: StrMap<i32> = StrMap::from([("y", 2), ("x", 1)]);
        let c: StrMap<i32> = StrMap::from([("y", 2), ("x", 3)]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, StrMap::from([("x", 1)]));
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"y":2,"x":1}"#);
    }

    #[test]
    fn identical_container_lists_are_shared_and_near_misses_are_not() {
        use crate::quantity::Quantity;
        let container = |requests: &[(&str, &str)]| Container {
            name: "agent".into(),
            requests: requests
                .iter()
                .map(|&(k, q)| (k, Quantity::parse(q).unwrap()))
                .collect(),
            limits: StrMap::new(),
            ports: Vec::new(),
            restart_policy: None,
        };
        let mut i = Interner::default();
        let a = i.containers(vec![container(&[("cpu", "1"), ("memory", "1Gi")])]);
        let b = i.containers(vec![container(&[("cpu", "1"), ("memory", "1Gi")])]);
        assert!(Arc::ptr_eq(&a, &b));
        // Equal as maps and amounts, but listed or written differently: kept apart, so
        // sharing never changes what a pod prints.
        let reordered = i.containers(vec![container(&[("memory", "1Gi"), ("cpu", "1")])]);
        let decimal = i.containers(vec![container(&[("cpu", "1"), ("memory", "1073741824")])]);
        assert!(!Arc::ptr_eq(&a, &reordered) && !Arc::ptr_eq(&a, &decimal));
        assert_eq!(*a, *reordered);
        assert_eq!(*a, *decimal);
        assert_eq!(decimal[0].requests["memory"].to_string(), "1073741824");
        assert_eq!(a[0].requests["memory"].to_string(), "1Gi");
        // A list of two identical containers is one list, shared with its equal, not with
        // the list of one.
        let two = i.containers(vec![container(&[("cpu", "1")]); 2]);
        let two_again = i.containers(vec![container(&[("cpu", "1")]); 2]);
        let one = i.containers(vec![container(&[("cpu", "1")])]);
        assert!(Arc::ptr_eq(&two, &two_again));
        assert!(!Arc::ptr_eq(&two, &one) && two.len() == 2 && one.len() == 1);
    }

    #[test]
    fn interned_text_is_shared() {
        let mut i = Interner::default();
        let a = i.get("topology.kubernetes.io/zone");
        let b = i.get(&String::from("topology.kubernetes.io/zone"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "topology.kubernetes.io/zone");
        assert_eq!("topology.kubernetes.io/zone", a);
    }
}
