//! Token scopes: `repository:team/app:pull,push`, `registry:catalog:*`.

use std::collections::BTreeSet;
use std::fmt;

/// One resource and the actions wanted on it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    resource_type: String,
    name: String,
    actions: BTreeSet<String>,
}

impl Scope {
    /// A scope on any resource type.
    pub fn new<'a>(
        resource_type: impl Into<String>,
        name: impl Into<String>,
        actions: impl IntoIterator<Item = &'a str>,
    ) -> Scope {
        Scope {
            resource_type: resource_type.into(),
            name: name.into(),
            actions: actions.into_iter().map(str::to_string).collect(),
        }
    }

    /// `repository:<name>:pull`.
    pub fn pull(repository: impl AsRef<str>) -> Scope {
        Scope::new("repository", repository.as_ref(), ["pull"])
    }

    /// `repository:<name>:pull,push`.
    pub fn push(repository: impl AsRef<str>) -> Scope {
        Scope::new("repository", repository.as_ref(), ["pull", "push"])
    }

    /// `repository:<name>:delete` (registry 2.8 asks for `*` on delete in
    /// some setups; servers that want more say so in their challenge).
    pub fn delete(repository: impl AsRef<str>) -> Scope {
        Scope::new("repository", repository.as_ref(), ["delete"])
    }

    /// `registry:catalog:*`.
    pub fn catalog() -> Scope {
        Scope::new("registry", "catalog", ["*"])
    }

    /// Parses `type:name:action[,action...]`. The name may itself hold
    /// `:` (a registry host with a port), so type is up to the first colon
    /// and actions after the last.
    pub fn parse(s: &str) -> Option<Scope> {
        let (resource_type, rest) = s.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if resource_type.is_empty() || name.is_empty() {
            return None;
        }
        Some(Scope::new(
            resource_type,
            name,
            actions.split(',').filter(|a| !a.is_empty()),
        ))
    }

    /// The resource type (`repository`, `registry`).
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The resource name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actions, sorted.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(String::as_str)
    }

    /// Whether this scope grants everything `other` asks for.
    pub fn covers(&self, other: &Scope) -> bool {
        self.resource_type == other.resource_type
            && self.name == other.name
            && (self.actions.contains("*") || other.actions.is_subset(&self.actions))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.resource_type, self.name)?;
        for (i, a) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(a)?;
        }
        Ok(())
    }
}

/// A set of scopes, merged per resource: asking for `pull` and `push` on
/// the same repository gives one `repository:x:pull,push`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// No scope.
    pub fn new() -> Scopes {
        Scopes(Vec::new())
    }

    /// Adds a scope, merging actions with an existing one for the same
    /// resource.
    pub fn add(&mut self, scope: Scope) {
        match self
            .0
            .iter_mut()
            .find(|s| s.resource_type == scope.resource_type && s.name == scope.name)
        {
            Some(existing) => existing.actions.extend(scope.actions),
            None => {
                self.0.push(scope);
                self.0.sort();
            }
        }
    }

    /// The union of two sets.
    pub fn merged(&self, other: &Scopes) -> Scopes {
        let mut out = self.clone();
        for s in &other.0 {
            out.add(s.clone());
        }
        out
    }

    /// Whether every scope of `other` is covered by one of these.
    pub fn covers(&self, other: &Scopes) -> bool {
        other.0.iter().all(|o| self.0.iter().any(|s| s.covers(o)))
    }

    /// The scopes.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Whether there is no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut s = Scopes::new();
        for scope in iter {
            s.add(scope);
        }
        s
    }
}

impl fmt::Display for Scopes {
    /// Space-separated, as in an OAuth2 `scope` form field.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_actions_per_resource() {
        let mut s = Scopes::new();
        s.add(Scope::pull("a"));
        s.add(Scope::new("repository", "a", ["push"]));
        s.add(Scope::pull("b"));
        assert_eq!(s.to_string(), "repository:a:pull,push repository:b:pull");
        assert!(s.covers(&[Scope::pull("a")].into_iter().collect()));
        assert!(!s.covers(&[Scope::push("b")].into_iter().collect()));
    }

    #[test]
    fn parses_names_with_ports_and_wildcards() {
        let s = Scope::parse("repository:localhost:5000/app:pull,push").unwrap();
        assert_eq!(s.name(), "localhost:5000/app");
        assert_eq!(s.actions().collect::<Vec<_>>(), ["pull", "push"]);
        let c = Scope::parse("registry:catalog:*").unwrap();
        assert_eq!(c, Scope::catalog());
        assert!(c.covers(&Scope::new("registry", "catalog", ["list"])));
        assert_eq!(Scope::parse("nonsense"), None);
    }
}
