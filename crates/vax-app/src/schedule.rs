//! Where residents live, for planning: the home of a resident without coordinates.
//!
//! (The first-fit booking that lived here is gone: the demo and HQ book with the real
//! planner, [`crate::planning`]; first-fit stays in vax-planner as the benchmarks' baseline.)

use std::collections::HashMap;

use vax_domain::venue::Coordinates;

/// Residents without coordinates are placed at the centre of their district's geocoded
/// residents, or at the centre of all venues when nobody in the district is geocoded.
/// `people` gives each resident's home (if geocoded) and district.
pub(crate) fn homes_with_fallback<'a>(
    people: impl Iterator<Item = (Option<Coordinates>, &'a str)> + Clone,
    venues: &[Coordinates],
) -> Vec<Coordinates> {
    let mut sums: HashMap<&str, (f64, f64, u32)> = HashMap::new();
    for (home, district) in people.clone() {
        if let Some(h) = home {
            let e = sums.entry(district).or_default();
            e.0 += h.lat;
            e.1 += h.lon;
            e.2 += 1;
        }
    }
    let n = venues.len().max(1) as f64;
    let venues_centre = Coordinates {
        lat: venues.iter().map(|v| v.lat).sum::<f64>() / n,
        lon: venues.iter().map(|v| v.lon).sum::<f64>() / n,
    };
    people
        .map(|(home, district)| {
            home.unwrap_or_else(|| match sums.get(district) {
                Some(&(lat, lon, count)) => Coordinates {
                    lat: lat / f64::from(count),
                    lon: lon / f64::from(count),
                },
                None => venues_centre,
            })
        })
        .collect()
}
