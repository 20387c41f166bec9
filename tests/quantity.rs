//! Tests of the exact Kubernetes quantity type.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use daemonset_planner::quantity::{QuantityErrorKind, QuantityFormat};
use daemonset_planner::{Quantity, QuantityError};
use proptest::prelude::*;

const FORMAT_MESSAGE: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

fn q(text: &str) -> Quantity {
    match Quantity::parse(text) {
        Ok(q) => q,
        Err(err) => panic!("{text:?} should parse: {err}"),
    }
}

fn err(text: &str) -> QuantityError {
    match Quantity::parse(text) {
        Ok(q) => panic!("{text:?} should not parse, got {q:?}"),
        Err(err) => err,
    }
}

fn hash_of(q: &Quantity) -> u64 {
    let mut h = DefaultHasher::new();
    q.hash(&mut h);
    h.finish()
}

const UNIT: i128 = 1_000_000_000;

#[test]
fn valid_inputs_have_exact_values() {
    use QuantityFormat::*;
    let cases: &[(&str, i128, QuantityFormat)] = &[
        ("100m", 100_000_000, DecimalSI),
        ("0.5", 500_000_000, DecimalSI),
        (".5", 500_000_000, DecimalSI),
        ("5.", 5 * UNIT, DecimalSI),
        ("128Mi", 134_217_728 * UNIT, BinarySI),
        ("1.5Gi", 1_610_612_736 * UNIT, BinarySI),
        ("2k", 2_000 * UNIT, DecimalSI),
        ("1e3", 1_000 * UNIT, DecimalExponent),
        ("1E3", 1_000 * UNIT, DecimalExponent),
        ("1E-3", 1_000_000, DecimalExponent),
        ("2e+2", 200 * UNIT, DecimalExponent),
        ("1e0", UNIT, DecimalExponent),
        ("+1", UNIT, DecimalSI),
        ("1", UNIT, DecimalSI),
        ("0", 0, DecimalSI),
        ("-1", -UNIT, DecimalSI),
        ("-0", 0, DecimalSI),
        ("100M", 100_000_000 * UNIT, DecimalSI),
        ("1Ki", 1_024 * UNIT, BinarySI),
        ("1n", 1, DecimalSI),
        ("1u", 1_000, DecimalSI),
        ("1m", 1_000_000, DecimalSI),
        ("1G", UNIT * UNIT, DecimalSI),
        ("1T", 1_000_000_000_000 * UNIT, DecimalSI),
        ("1P", 1_000_000_000_000_000 * UNIT, DecimalSI),
        ("1E", 1_000_000_000_000_000_000 * UNIT, DecimalSI),
        ("1Ti", (1i128 << 40) * UNIT, BinarySI),
        ("1Pi", (1i128 << 50) * UNIT, BinarySI),
        ("1Ei", (1i128 << 60) * UNIT, BinarySI),
        ("0.5Ki", 512 * UNIT, BinarySI),
        ("-1.5Gi", -1_610_612_736 * UNIT, BinarySI),
        ("000123.4500k", 123_450 * UNIT, DecimalSI),
        ("0.000000001", 1, DecimalSI),
        // Finer than a nano-unit rounds up in magnitude.
        ("0.1n", 1, DecimalSI),
        ("1.1n", 2, DecimalSI),
        ("-0.1n", -1, DecimalSI),
        ("0.0000000001", 1, DecimalSI),
        ("1e-2147483648", 1, DecimalExponent),
        ("0.0000000005Ki", 512, DecimalSI),
        ("0.0000000001Ki", 103, DecimalSI),
        // Zero stays zero whatever the exponent.
        ("0e2147483647", 0, DecimalExponent),
        ("0.000Ei", 0, BinarySI),
        // The largest whole units that Kubernetes' int64 paths hold.
        ("9223372036854775807", i64::MAX as i128 * UNIT, DecimalSI),
        ("8Ei", (8i128 << 60) * UNIT, BinarySI),
        // The extremes of the i128 nano range.
        (
            "170141183460469231731687303715884105727n",
            i128::MAX,
            DecimalSI,
        ),
        (
            "-170141183460469231731687303715884105728n",
            i128::MIN,
            DecimalSI,
        ),
        (
            "170141183460469231731687303715.884105727",
            i128::MAX,
            DecimalSI,
        ),
        (
            "170141183460469231731687303715.8841057269",
            i128::MAX,
            DecimalSI,
        ),
    ];
    for &(text, nanos, format) in cases {
        let parsed = q(text);
        assert_eq!(parsed.nanos(), nanos, "nanos of {text:?}");
        assert_eq!(parsed.format(), format, "format of {text:?}");
        assert_eq!(text.parse::<Quantity>(), Ok(parsed), "FromStr of {text:?}");
    }
}

#[test]
fn invalid_inputs_are_errors() {
    use QuantityErrorKind::*;
    let cases: &[(&str, QuantityErrorKind)] = &[
        ("1.5.5Gi", Format),
        ("Ki", Format),
        ("--1", Suffix),
        ("1 Gi", Format),
        ("", Format),
        (" ", Format),
        (" 1", Format),
        ("1 ", Format),
        ("1Gb", Format),
        ("abc", Format),
        ("1e", Suffix),
        ("1E+", Suffix),
        ("1.5e3.2", Format),
        ("0x10", Format),
        (".", Format),
        ("-", Format),
        ("+", Format),
        ("+-1", Suffix),
        ("1i", Suffix),
        ("1m5", Suffix),
        ("1Mi2", Suffix),
        ("1ee3", Suffix),
        ("1KiB", Format),
        ("1K", Suffix),
        ("1mi", Suffix),
        ("1e2147483648", Suffix),
        ("1e99999999999", Suffix),
        ("1,5", Format),
        ("1_000", Format),
        ("１", Format),
        ("1µ", Format),
        ("NaN", Format),
        ("inf", Format),
        // Overflow.
        ("1e40", Overflow),
        ("1e2147483647", Overflow),
        ("170141183460469231731687303715884105728n", Overflow),
        ("-170141183460469231731687303715884105729n", Overflow),
        ("170141183460469231731687303715.8841057271", Overflow),
        ("1000000000000E", Overflow),
        ("1000000000000000000Ei", Overflow),
        (
            "99999999999999999999999999999999999999999999999999",
            Overflow,
        ),
        (
            "-99999999999999999999999999999999999999999999999999",
            Overflow,
        ),
    ];
    for &(text, kind) in cases {
        let e = err(text);
        assert_eq!(e.kind(), kind, "kind of error for {text:?}");
        assert_eq!(e.input(), text);
        assert_eq!(e.is_overflow(), kind == Overflow);
    }
}

#[test]
fn error_messages_match_kubernetes() {
    assert_eq!(err("1Gb").to_string(), FORMAT_MESSAGE);
    assert_eq!(err("").to_string(), FORMAT_MESSAGE);
    assert_eq!(err("1e").to_string(), "unable to parse quantity's suffix");
    let overflow = err("1e40").to_string();
    assert_ne!(overflow, FORMAT_MESSAGE);
    assert!(overflow.contains("out of range"), "{overflow}");
    assert_eq!(
        QuantityError::new(QuantityErrorKind::Format, "x").to_string(),
        FORMAT_MESSAGE
    );
}

#[test]
fn long_inputs_are_exact() {
    let ones = format!("0.{}1", "0".repeat(10_000));
    assert_eq!(q(&ones).nanos(), 1);
    let padded = format!("{}1.{}k", "0".repeat(10_000), "0".repeat(10_000));
    assert_eq!(q(&padded), Quantity::from_units(1000));
    let long_fraction = format!("1.{}1", "0".repeat(5_000));
    assert_eq!(q(&long_fraction).nanos(), UNIT + 1);
    let huge = format!("1{}", "0".repeat(10_000));
    assert!(err(&huge).is_overflow());
    let huge_negative_exponent = format!("{}e-10000", "9".repeat(10_000));
    assert_eq!(q(&huge_negative_exponent).nanos(), UNIT);
}

#[test]
fn equality_ignores_format() {
    assert_eq!(q("1Ki"), q("1024"));
    assert_eq!(q("1000m"), q("1"));
    assert_eq!(q("1e3"), q("1k"));
    assert_eq!(q("1Mi"), q("1048576"));
    assert_eq!(q("0.5"), q("500m"));
    assert_eq!(q("1E-3"), q("1m"));
    assert_eq!(q("0"), q("0Ki"));
    assert_eq!(q("0"), Quantity::ZERO);
    assert_eq!(hash_of(&q("1Ki")), hash_of(&q("1024")));
    assert_eq!(hash_of(&q("1e3")), hash_of(&q("1k")));
    assert!(q("1Ki") > q("1k"));
    assert!(q("999m") < q("1"));
    assert!(q("-1") < Quantity::ZERO);
    assert_eq!(q("1Ki").cmp(&q("1024000m")), std::cmp::Ordering::Equal);
}

#[test]
fn display_is_canonical() {
    let cases: &[(&str, &str)] = &[
        ("128Mi", "128Mi"),
        ("1.5Gi", "1536Mi"),
        ("100m", "100m"),
        ("0.5", "500m"),
        ("1.5", "1500m"),
        ("2k", "2k"),
        ("2000", "2k"),
        ("1e3", "1e3"),
        ("1E-3", "1e-3"),
        ("1e4", "10e3"),
        ("1e0", "1"),
        ("1.5e3", "1500"),
        ("0", "0"),
        ("0Ki", "0"),
        ("0e5", "0"),
        ("-0", "0"),
        ("+1", "1"),
        ("-1", "-1"),
        ("1Ki", "1Ki"),
        ("1024", "1024"),
        ("1025Ki", "1025Ki"),
        ("1048576Ki", "1Gi"),
        ("1024Ei", "1024Ei"),
        ("-128Mi", "-128Mi"),
        // Binary values below 1Ki, or not whole, fall back to DecimalSI.
        ("0.5Ki", "512"),
        ("1023.5Ki", "1048064"),
        ("1.0000000001Ki", "1024000000103n"),
        ("0.0001Ki", "102400u"),
        ("1n", "1n"),
        ("1000n", "1u"),
        ("1200n", "1200n"),
        ("10u", "10u"),
        ("0.1n", "1n"),
        ("100M", "100M"),
        ("1E", "1E"),
        ("1000E", "1000E"),
        ("12345678901234567890123", "12345678901234567890123"),
        ("1e21", "1e21"),
        ("123e-9", "123e-9"),
        ("1.5e-7", "150e-9"),
        ("9223372036854775807", "9223372036854775807"),
    ];
    for &(text, shown) in cases {
        let parsed = q(text);
        assert_eq!(parsed.to_string(), shown, "display of {text:?}");
        assert_eq!(q(shown), parsed, "round trip of {text:?}");
    }
    assert_eq!(Quantity::from_units(1).to_string(), "1");
    assert_eq!(Quantity::from_milli(1500).to_string(), "1500m");
    assert_eq!(Quantity::from_nanos(-5).to_string(), "-5n");
    assert_eq!(
        Quantity::from_units(1 << 20)
            .with_format(QuantityFormat::BinarySI)
            .to_string(),
        "1Mi"
    );
    assert_eq!(
        Quantity::from_units(1000)
            .with_format(QuantityFormat::DecimalExponent)
            .to_string(),
        "1e3"
    );
    assert_eq!(
        Quantity::MAX.to_string(),
        "170141183460469231731687303715884105727n"
    );
    assert_eq!(q(&Quantity::MAX.to_string()), Quantity::MAX);
    assert_eq!(q(&Quantity::MIN.to_string()), Quantity::MIN);
}

#[test]
fn constructors_and_accessors() {
    assert_eq!(Quantity::from_units(3).nanos(), 3 * UNIT);
    assert_eq!(Quantity::from_milli(3).nanos(), 3_000_000);
    assert_eq!(Quantity::from_nanos(3).nanos(), 3);
    assert_eq!(
        Quantity::from_units(i64::MAX).nanos(),
        i64::MAX as i128 * UNIT
    );
    assert_eq!(
        Quantity::from_units(i64::MIN).nanos(),
        i64::MIN as i128 * UNIT
    );
    assert_eq!(Quantity::from_units(1).format(), QuantityFormat::DecimalSI);
    assert_eq!(Quantity::default(), Quantity::ZERO);
    assert!(Quantity::ZERO.is_zero());
    assert!(!Quantity::ZERO.is_negative());
    assert!(!Quantity::ZERO.is_positive());
    assert!(q("-1n").is_negative());
    assert!(q("1n").is_positive());

    assert_eq!(q("100m").milli_ceil(), 100);
    assert_eq!(q("1n").milli_ceil(), 1);
    assert_eq!(q("1.0000001").milli_ceil(), 1001);
    assert_eq!(q("-1n").milli_ceil(), -1);
    assert_eq!(q("0").milli_ceil(), 0);
    assert_eq!(q("100m").units_ceil(), 1);
    assert_eq!(q("1").units_ceil(), 1);
    assert_eq!(q("1001m").units_ceil(), 2);
    assert_eq!(q("128Mi").units_ceil(), 134_217_728);
    assert_eq!(q("-1.5").units_ceil(), -2);
    assert_eq!(Quantity::MAX.units_ceil(), i128::MAX / UNIT + 1);
    assert_eq!(Quantity::MIN.milli_ceil(), i128::MIN / 1_000_000 - 1);
}

#[test]
fn arithmetic() {
    let a = q("1Gi");
    let b = q("512Mi");
    assert_eq!(
        a.checked_add(b).map(|s| s.to_string()).as_deref(),
        Some("1536Mi")
    );
    assert_eq!(a + b, q("1.5Gi"));
    assert_eq!((a + b).format(), QuantityFormat::BinarySI);
    // Adding to zero takes the other operand's format, like Kubernetes.
    assert_eq!((Quantity::ZERO + q("128Mi")).to_string(), "128Mi");
    assert_eq!((q("100m") + q("1Ki")).format(), QuantityFormat::DecimalSI);
    let mut acc = Quantity::ZERO;
    acc += q("100m");
    acc += q("250m");
    assert_eq!(acc.to_string(), "350m");
    acc -= q("1");
    assert_eq!(acc.to_string(), "-650m");
    assert_eq!(q("1") - q("250m"), q("750m"));
    assert_eq!(q("100m").saturating_sub(q("1")), q("-900m"));
    assert_eq!(q("1").checked_sub(q("1")), Some(Quantity::ZERO));

    assert_eq!(Quantity::MAX.checked_add(Quantity::from_nanos(1)), None);
    assert_eq!(Quantity::MIN.checked_sub(Quantity::from_nanos(1)), None);
    assert_eq!(Quantity::MAX.saturating_add(Quantity::MAX), Quantity::MAX);
    assert_eq!(Quantity::MIN.saturating_sub(Quantity::MAX), Quantity::MIN);
    assert_eq!(Quantity::MAX + Quantity::from_units(1), Quantity::MAX);

    let total: Quantity = ["100m", "200m", "1"].iter().map(|s| q(s)).sum();
    assert_eq!(total, q("1.3"));
    let parts = [q("1Gi"), q("1Gi")];
    let total: Quantity = parts.iter().sum();
    assert_eq!(total.to_string(), "2Gi");
    let empty: Quantity = std::iter::empty::<Quantity>().sum();
    assert_eq!(empty, Quantity::ZERO);
}

#[test]
fn serde_strings_and_numbers() {
    #[derive(serde::Deserialize, serde::Serialize, Debug)]
    struct Resources {
        cpu: Quantity,
        memory: Quantity,
    }

    let yaml = "cpu: 100m\nmemory: 1.5Gi\n";
    let r: Resources = serde_yaml::from_str(yaml).unwrap();
    assert_eq!(r.cpu, q("100m"));
    assert_eq!(r.memory.to_string(), "1536Mi");
    assert_eq!(
        serde_yaml::to_string(&r).unwrap(),
        "cpu: 100m\nmemory: 1536Mi\n"
    );
    assert_eq!(
        serde_json::to_string(&r).unwrap(),
        r#"{"cpu":"100m","memory":"1536Mi"}"#
    );

    let numbers: Resources = serde_yaml::from_str("cpu: 0.5\nmemory: 1024\n").unwrap();
    assert_eq!(numbers.cpu, q("500m"));
    assert_eq!(numbers.memory, q("1Ki"));
    let numbers: Resources = serde_yaml::from_str("cpu: 1e3\nmemory: '1e3'\n").unwrap();
    assert_eq!(numbers.cpu, q("1k"));
    assert_eq!(numbers.memory, q("1k"));
    let quoted: Resources = serde_yaml::from_str("cpu: '2'\nmemory: \" 64Mi \"\n").unwrap();
    assert_eq!(quoted.cpu, q("2"));
    assert_eq!(quoted.memory, q("64Mi"));

    let json: Resources =
        serde_json::from_str(r#"{"cpu": 0.1, "memory": 18446744073709551615}"#).unwrap();
    assert_eq!(json.cpu, q("100m"));
    assert_eq!(json.memory, q("18446744073709551615"));
    let json: Resources = serde_json::from_str(r#"{"cpu": -2, "memory": "128Mi"}"#).unwrap();
    assert_eq!(json.cpu, q("-2"));
    assert_eq!(json.memory.to_string(), "128Mi");
    let json: Resources = serde_json::from_str(r#"{"cpu": null, "memory": "1"}"#).unwrap();
    assert_eq!(json.cpu, Quantity::ZERO);

    let bad = serde_yaml::from_str::<Resources>("cpu: 1Gb\nmemory: 1\n").unwrap_err();
    assert!(bad.to_string().contains(FORMAT_MESSAGE), "{bad}");
    let bad = serde_json::from_str::<Resources>(r#"{"cpu": 1e300, "memory": 1}"#).unwrap_err();
    assert!(bad.to_string().contains("out of range"), "{bad}");
    assert!(serde_yaml::from_str::<Resources>("cpu: .nan\nmemory: 1\n").is_err());
    assert!(serde_yaml::from_str::<Resources>("cpu: [1]\nmemory: 1\n").is_err());
    assert!(serde_json::from_str::<Resources>(r#"{"cpu": true, "memory": 1}"#).is_err());
}

/// Suffixes used to build random quantity text, with an oracle for their value:
/// (text, multiply nanos by, divide nanos by).
const SUFFIXES: &[(&str, u128, u128)] = &[
    ("n", 1, 1),
    ("u", 1_000, 1),
    ("m", 1_000_000, 1),
    ("", 1_000_000_000, 1),
    ("k", 1_000_000_000_000, 1),
    ("M", 1_000_000_000_000_000, 1),
    ("G", 1_000_000_000_000_000_000, 1),
    ("T", 1_000_000_000_000_000_000_000, 1),
    ("P", 1_000_000_000_000_000_000_000_000, 1),
    ("E", 1_000_000_000_000_000_000_000_000_000, 1),
    ("Ki", 1_000_000_000 << 10, 1),
    ("Mi", 1_000_000_000 << 20, 1),
    ("Gi", 1_000_000_000 << 30, 1),
    ("Ti", 1_000_000_000 << 40, 1),
    ("Pi", 1_000_000_000 << 50, 1),
    ("Ei", 1_000_000_000 << 60, 1),
    ("e-12", 1, 1_000),
    ("e-10", 1, 10),
    ("E-3", 1_000_000, 1),
    ("e0", 1_000_000_000, 1),
    ("e+2", 100_000_000_000, 1),
    ("e7", 10_000_000_000_000_000, 1),
    ("E18", 1_000_000_000_000_000_000_000_000_000, 1),
];

fn any_format() -> impl Strategy<Value = QuantityFormat> {
    prop_oneof![
        Just(QuantityFormat::DecimalSI),
        Just(QuantityFormat::BinarySI),
        Just(QuantityFormat::DecimalExponent),
    ]
}

fn any_nanos() -> impl Strategy<Value = i128> {
    prop_oneof![
        any::<i128>(),
        any::<i64>().prop_map(i128::from),
        (any::<i32>(), 0u32..29).prop_map(|(m, e)| i128::from(m) * 10i128.pow(e)),
        (any::<i16>(), 0u32..=6).prop_map(|(m, e)| i128::from(m) * UNIT * (1i128 << (10 * e))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_text_parses_exactly_and_round_trips(
        negative in any::<bool>(),
        int in 0u64..100_000,
        frac in proptest::option::of("[0-9]{0,5}"),
        suffix in 0..SUFFIXES.len(),
    ) {
        let (suffix_text, mul, div) = SUFFIXES[suffix];
        let sign = if negative { "-" } else { "" };
        let text = match &frac {
            Some(frac) => format!("{sign}{int}.{frac}{suffix_text}"),
            None => format!("{sign}{int}{suffix_text}"),
        };
        // Oracle: (int.frac × mul / div) rounded up in magnitude.
        let frac = frac.unwrap_or_default();
        let scale = 10u128.pow(frac.len() as u32);
        let digits = u128::from(int) * scale + frac.parse::<u128>().unwrap_or(0);
        let num = digits * mul;
        let den = scale * div;
        let magnitude = num.div_ceil(den) as i128;
        let expected = if negative { -magnitude } else { magnitude };

        let parsed = Quantity::parse(&text).unwrap();
        prop_assert_eq!(parsed.nanos(), expected, "{}", text);
        let shown = parsed.to_string();
        prop_assert_eq!(Quantity::parse(&shown), Ok(parsed), "{} shown as {}", text, shown);
        // Printing is canonical: printing the reparsed value gives the same text
        // unless the format changed.
        let reparsed = Quantity::parse(&shown).unwrap();
        if reparsed.format() == parsed.format() {
            prop_assert_eq!(reparsed.to_string(), shown);
        }
    }

    #[test]
    fn random_nanos_round_trip(nanos in any_nanos(), format in any_format()) {
        let quantity = Quantity::from_nanos(nanos).with_format(format);
        let shown = quantity.to_string();
        let parsed = Quantity::parse(&shown);
        prop_assert_eq!(parsed.clone(), Ok(quantity), "{} shown as {}", nanos, shown);
        prop_assert_eq!(parsed.unwrap().nanos(), nanos);
    }

    #[test]
    fn ordering_agrees_with_nanos(
        a in any_nanos(), fa in any_format(),
        b in any_nanos(), fb in any_format(),
    ) {
        let qa = Quantity::from_nanos(a).with_format(fa);
        let qb = Quantity::from_nanos(b).with_format(fb);
        prop_assert_eq!(qa.cmp(&qb), a.cmp(&b));
        prop_assert_eq!(qa.partial_cmp(&qb), Some(a.cmp(&b)));
        prop_assert_eq!(qa == qb, a == b);
        let pa = Quantity::parse(&qa.to_string()).unwrap();
        let pb = Quantity::parse(&qb.to_string()).unwrap();
        prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
        prop_assert_eq!(qa.checked_add(qb).map(|s| s.nanos()), a.checked_add(b));
        prop_assert_eq!(qa.saturating_add(qb).nanos(), a.saturating_add(b));
        prop_assert_eq!(qa.saturating_sub(qb).nanos(), a.saturating_sub(b));
    }

    #[test]
    fn ceil_accessors_bound_the_value(nanos in any_nanos()) {
        let quantity = Quantity::from_nanos(nanos);
        let milli = quantity.milli_ceil();
        let units = quantity.units_ceil();
        // Rounded away from zero: never smaller in magnitude, off by less than one step.
        let m = milli.checked_mul(1_000_000);
        let u = units.checked_mul(UNIT);
        if let Some(m) = m {
            prop_assert!(m.unsigned_abs() >= nanos.unsigned_abs());
            prop_assert!(m.abs_diff(nanos) < 1_000_000);
        }
        if let Some(u) = u {
            prop_assert!(u.unsigned_abs() >= nanos.unsigned_abs());
            prop_assert!(u.abs_diff(nanos) < UNIT as u128);
        }
    }

    #[test]
    fn parsing_arbitrary_strings_never_panics(text in any::<String>()) {
        let _ = Quantity::parse(&text);
    }

    #[test]
    fn parsing_quantity_like_strings_never_panics(
        text in "[+-]?[0-9.]{0,45}[eEinumkKMGTP]{0,3}[-+]?[0-9]{0,12}"
    ) {
        match Quantity::parse(&text) {
            Ok(parsed) => {
                prop_assert_eq!(Quantity::parse(&parsed.to_string()), Ok(parsed));
            }
            Err(e) => prop_assert_eq!(e.input(), text.as_str()),
        }
    }
}
