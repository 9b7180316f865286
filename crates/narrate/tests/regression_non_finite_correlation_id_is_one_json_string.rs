//! Found by the `record_decode` fuzz target after issue 9 made JSON
//! correlation ids always strings: a non-finite float id was quoted twice
//! (`""inf""`), which is not JSON.

#[test]
fn non_finite_float_correlation_ids_stay_valid_json() {
    let events = narrate::testing::capture(|| {
        narrate::info!(correlation_id = f64::INFINITY, "inf id");
        narrate::info!(correlation_id = f64::NAN, "nan id");
        narrate::info!(correlation_id = 1.5f64, "finite id");
    });
    let ids: Vec<String> = events
        .iter()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.json).expect("valid JSON");
            v["correlation_id"].as_str().expect("a string").to_string()
        })
        .collect();
    assert_eq!(ids, ["inf", "NaN", "1.5"]);
}
