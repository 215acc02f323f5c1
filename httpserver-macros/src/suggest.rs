//! "Did you mean …?" helpers: edit distance between identifiers.

/// Levenshtein distance between `a` and `b`, counted in chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // One row of the DP table at a time: prev[j] = distance(a[..i], b[..j]).
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let substitution = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = substitution.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `target`, if it is close enough to be a plausible typo:
/// at most one edit per three characters of `target` (and always at least one), compared
/// case-insensitively. Ties go to the earliest candidate.
pub fn closest<'a, I>(target: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let target_lower = target.to_lowercase();
    let limit = (target.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == target {
            continue;
        }
        let d = edit_distance(&target_lower, &candidate.to_lowercase());
        if d <= limit && !matches!(best, Some((best_d, _)) if best_d <= d) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("id", "id"), 0);
        assert_eq!(edit_distance("id", "ide"), 1);
        assert_eq!(edit_distance("id", "_id"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("user_id", "userid"), 1);
        assert_eq!(edit_distance("größe", "grösse"), 2);
    }

    #[test]
    fn closest_candidates() {
        assert_eq!(closest("id", ["req", "ide"]), Some("ide"));
        assert_eq!(closest("id", ["_id"]), Some("_id"));
        assert_eq!(closest("id", ["x", "name"]), None);
        assert_eq!(closest("id", ["d", "name"]), Some("d"));
        assert_eq!(closest("id", ["name", "body"]), None);
        assert_eq!(closest("user_id", ["userId", "uid"]), Some("userId"));
        assert_eq!(closest("user_id", ["usr_ids", "user_i"]), Some("user_i"));
        assert_eq!(closest("methods", ["methods"]), None);
        assert_eq!(closest("methods", ["method"]), Some("method"));
        assert_eq!(
            closest("filepath", ["file_path", "path"]),
            Some("file_path")
        );
        assert_eq!(closest("anything", std::iter::empty()), None);
    }
}
