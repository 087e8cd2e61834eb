//! Scopes, district names and keys: what parses, what does not, and what the errors say.

use crate::state::{DistrictName, Error, Key, MAX_KEY_BYTES, Scope};

#[test]
fn scopes_parse_and_display_round_trip() {
    let cases = [
        "global",
        "critical",
        "district/a",
        "district/eu-west-1a",
        "district/0",
        &format!("district/{}", "a".repeat(63)),
    ];
    for text in cases {
        let scope = Scope::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(scope.to_string(), text);
        assert_eq!(text.parse::<Scope>().unwrap(), scope);
    }
    assert_eq!(Scope::parse("global").unwrap().kind(), "global");
    assert_eq!(Scope::parse("district/x").unwrap().kind(), "district");
}

#[test]
fn bad_scopes_are_refused_with_what_was_wrong() {
    // (input, a fragment the message must contain)
    let long = format!("district/{}", "a".repeat(64));
    let cases: [(&str, &str); 12] = [
        ("", "unknown scope \"\""),
        ("Global", "unknown scope \"Global\""),
        ("globals", "unknown scope"),
        ("district", "unknown scope"),
        ("district/", "district name is empty"),
        ("district/EU", "'E' at byte 0"),
        ("district/eu_west", "'_' at byte 2"),
        ("district/-eu", "starts with '-'"),
        ("district/eu-", "ends with '-'"),
        ("district/eu/west", "'/' at byte 2"),
        ("district/é", "'é' at byte 0"),
        (&long, "is 64 bytes; the limit is 63 bytes"),
    ];
    for (input, want) in cases {
        let err = Scope::parse(input).expect_err(input);
        let msg = err.to_string();
        assert!(msg.contains(want), "{input:?}: {msg:?} lacks {want:?}");
    }
}

#[test]
fn district_names_follow_dns_label_rules() {
    for ok in ["a", "a-b", "1a", "a1", "zone-1-b"] {
        assert_eq!(DistrictName::new(ok).unwrap().as_str(), ok);
    }
    for bad in ["", "-", "a-", "-a", "A", "a.b", "a b"] {
        assert!(DistrictName::new(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn keys_are_nonempty_bounded_text_without_control_characters() {
    let at_limit = "k".repeat(MAX_KEY_BYTES);
    assert_eq!(Key::new(at_limit.clone()).unwrap().len(), MAX_KEY_BYTES);
    assert!(Key::new("ünïcode/ключ/🔑").is_ok());
    assert!(Key::new("with space and /slashes/").is_ok());

    assert_eq!(Key::new(""), Err(Error::Empty { field: "key" }));

    let over = format!("{at_limit}k");
    let err = Key::new(over).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("key \"kkkk")
            && msg.contains("…")
            && msg.contains("is 1025 bytes; the limit is 1024 bytes"),
        "{msg}"
    );
    assert!(
        msg.len() < 120,
        "the value is truncated in the message: {msg}"
    );

    let err = Key::new("a\nb").unwrap_err();
    assert!(
        err.to_string()
            .contains("control character '\\n' at byte 1"),
        "{err}"
    );
}
