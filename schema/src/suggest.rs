//! "Did you mean" candidates by edit distance.

/// Edit distance with adjacent transpositions (optimal string alignment), case-insensitive:
/// `PDI` is one edit from `PID`.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(&a.to_lowercase(), &b.to_lowercase())
}

/// Up to five names close to `wanted`, closest first (ties by name).
pub(crate) fn suggestions<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .map(|c| (distance(wanted, c), c))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored
        .into_iter()
        .take(5)
        .map(|(_, c)| c.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("PID", "PID"), 0);
        assert_eq!(distance("PID", "PD1"), 2);
        assert_eq!(distance("gender", "Gender"), 0);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("PDI", "PID"), 1);
    }

    #[test]
    fn suggestions_rank_closest_first() {
        let s = suggestions("PIX", ["PID", "PV1", "MSH", "PIN"]);
        assert_eq!(
            s,
            vec!["PID".to_owned(), "PIN".to_owned(), "PV1".to_owned()]
        );
    }
}
