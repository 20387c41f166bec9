//! Exact Kubernetes resource quantities (`resource.Quantity`), without floating point.
//!
//! A [`Quantity`] is a fixed-point number held as an `i128` count of nano-units
//! (`1n` = 10⁻⁹ of a unit), together with the [`QuantityFormat`] it was written in.
//! The format only affects how the value is printed; equality, ordering and hashing
//! look at the value alone, so `1Ki == 1024` and `1000m == 1`.
//!
//! # Grammar
//!
//! The accepted text follows `k8s.io/apimachinery/pkg/api/resource`:
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <signedNumber>    ::= <number> | <sign><number>
//! <sign>            ::= "+" | "-"
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
//! <decimalExponent> ::= "e" <signedInt32> | "E" <signedInt32>
//! ```
//!
//! # Rounding and range
//!
//! * A value finer than `1n` is rounded **up in magnitude** (away from zero) to the
//!   next nano-unit, as Kubernetes does: `0.1n` parses as `1n`, `-0.1n` as `-1n`.
//! * The representable range is every `i128` count of nano-units, that is about
//!   ±1.7 × 10²⁹ whole units ([`Quantity::MIN`] ..= [`Quantity::MAX`]). Text whose
//!   exact value (after rounding) lies outside that range is rejected with
//!   [`QuantityErrorKind::Overflow`]. Every value that the arithmetic helpers can
//!   produce is inside that range, so `Quantity::parse(&q.to_string()) == Ok(q)`
//!   holds for every `q`.
//!
//! # Differences from Kubernetes
//!
//! * Kubernetes silently caps `BinarySI` values at 2⁶³−1 and accepts arbitrarily
//!   large decimal values; here both are exact up to the `i128` nano bound above and
//!   an error beyond it.
//! * Kubernetes' scanner accepts a number without any digit (`Ki`, `.`, `-`) as
//!   zero; here at least one digit is required.
//! * When printing values beyond the largest suffix (`Ei`, `E`), Kubernetes would
//!   emit a number without a suffix; here the largest suffix is kept and the number
//!   grows (`1024Ei`, `1000E`), so the text always means the same value.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::str::FromStr;

/// Nano-units in one whole unit.
const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Nano-units in one milli-unit.
const NANOS_PER_MILLI: i128 = 1_000_000;
/// Nano-units in 1Ki (1024 whole units).
const NANOS_PER_KI: u128 = 1024 * 1_000_000_000;
/// 10^39 exceeds `u128::MAX`, so a value with more than this many digits before
/// the point overflows without further checks.
const MAX_DIGITS: i64 = 39;
/// Characters that may start a suffix (the Kubernetes `[eEinumkKMGTP]*` class).
const SUFFIX_LETTERS: &[u8] = b"eEinumkKMGTP";

/// The way a quantity was written, which decides how it is printed.
///
/// # Examples
///
/// ```
/// use daemonset_planner::quantity::{Quantity, QuantityFormat};
///
/// assert_eq!(Quantity::parse("128Mi").unwrap().format(), QuantityFormat::BinarySI);
/// assert_eq!(Quantity::parse("100m").unwrap().format(), QuantityFormat::DecimalSI);
/// assert_eq!(Quantity::parse("1e3").unwrap().format(), QuantityFormat::DecimalExponent);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityFormat {
    /// Decimal SI suffixes (`n u m "" k M G T P E`), e.g. `12M` = 12 × 10⁶.
    DecimalSI,
    /// Binary SI suffixes (`Ki Mi Gi Ti Pi Ei`), e.g. `12Mi` = 12 × 2²⁰.
    BinarySI,
    /// A decimal exponent, e.g. `12e6`.
    DecimalExponent,
}

/// What was wrong with the text handed to [`Quantity::parse`].
///
/// # Examples
///
/// ```
/// use daemonset_planner::quantity::{Quantity, QuantityErrorKind};
///
/// assert_eq!(Quantity::parse("1Gb").unwrap_err().kind(), QuantityErrorKind::Format);
/// assert_eq!(Quantity::parse("1e").unwrap_err().kind(), QuantityErrorKind::Suffix);
/// assert_eq!(Quantity::parse("1e40").unwrap_err().kind(), QuantityErrorKind::Overflow);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityErrorKind {
    /// The text does not have the shape `<signedNumber><suffix>` (Kubernetes'
    /// `ErrFormatWrong`).
    Format,
    /// The text has the right shape but the suffix is not one of the known ones,
    /// e.g. `1i`, `1e` or `1m5` (Kubernetes' `ErrSuffix`).
    Suffix,
    /// The value is well formed but lies outside the representable range (an
    /// `i128` count of nano-units).
    Overflow,
}

impl QuantityErrorKind {
    /// The message for this kind of error; the same text the error displays.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::QuantityErrorKind;
    ///
    /// assert_eq!(
    ///     QuantityErrorKind::Suffix.message(),
    ///     "unable to parse quantity's suffix"
    /// );
    /// ```
    #[must_use]
    pub fn message(self) -> &'static str {
        match self {
            QuantityErrorKind::Format => {
                "quantities must match the regular expression \
                 '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            }
            QuantityErrorKind::Suffix => "unable to parse quantity's suffix",
            QuantityErrorKind::Overflow => {
                "quantity is out of range: the value must fit in a signed 128-bit \
                 count of nano-units (about \u{b1}1.7e29 units)"
            }
        }
    }
}

impl fmt::Display for QuantityErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The error returned when text is not a valid quantity.
///
/// Its `Display` is worded as the Kubernetes API server words it, e.g.
/// `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`;
/// the offending text is available from [`QuantityError::input`].
///
/// # Examples
///
/// ```
/// use daemonset_planner::quantity::{Quantity, QuantityErrorKind};
///
/// let err = Quantity::parse("1 Gi").unwrap_err();
/// assert_eq!(err.input(), "1 Gi");
/// assert_eq!(err.kind(), QuantityErrorKind::Format);
/// assert_eq!(
///     err.to_string(),
///     "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct QuantityError {
    kind: QuantityErrorKind,
    input: String,
}

impl QuantityError {
    /// Builds an error of `kind` about `input`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::{QuantityError, QuantityErrorKind};
    ///
    /// let err = QuantityError::new(QuantityErrorKind::Overflow, "1e40");
    /// assert_eq!(err.input(), "1e40");
    /// ```
    pub fn new(kind: QuantityErrorKind, input: impl Into<String>) -> QuantityError {
        QuantityError {
            kind,
            input: input.into(),
        }
    }

    /// The text that failed to parse.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::parse("abc").unwrap_err().input(), "abc");
    /// ```
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    /// What was wrong with the text.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::{Quantity, QuantityErrorKind};
    ///
    /// assert_eq!(Quantity::parse("--1").unwrap_err().kind(), QuantityErrorKind::Suffix);
    /// ```
    #[must_use]
    pub fn kind(&self) -> QuantityErrorKind {
        self.kind
    }

    /// Whether the text was well formed but its value out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert!(Quantity::parse("1000000000000000000000E").unwrap_err().is_overflow());
    /// assert!(!Quantity::parse("1Gb").unwrap_err().is_overflow());
    /// ```
    #[must_use]
    pub fn is_overflow(&self) -> bool {
        self.kind == QuantityErrorKind::Overflow
    }
}

/// An exact Kubernetes resource quantity such as `100m`, `1.5Gi` or `1e3`.
///
/// The value is an `i128` count of nano-units; the [`QuantityFormat`] it was
/// written in is kept for display only. `PartialEq`, `Eq`, `PartialOrd`, `Ord` and
/// `Hash` look at the value alone. See the [module documentation](self) for the
/// grammar, rounding and range.
///
/// # Examples
///
/// ```
/// use daemonset_planner::quantity::Quantity;
///
/// let q: Quantity = "1.5Gi".parse().unwrap();
/// assert_eq!(q.to_string(), "1536Mi");
/// assert_eq!(q, Quantity::from_units(1_610_612_736));
/// assert_eq!(Quantity::parse("1Ki").unwrap(), Quantity::parse("1024").unwrap());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    /// The amount in nanounits, as two halves: an `i128` field would align the struct to
    /// 16 bytes and make it 32, where this is 24 (a resource list entry is 40 bytes, not 48).
    nanos: Halves,
    format: QuantityFormat,
}

/// An `i128` stored with 8-byte alignment.
#[derive(Clone, Copy)]
struct Halves([u64; 2]);

/// Prints the number, as the `i128` field it replaces did.
impl std::fmt::Debug for Halves {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.get(), f)
    }
}

impl Halves {
    const fn new(n: i128) -> Halves {
        Halves([n as u64, (n >> 64) as u64])
    }

    const fn get(self) -> i128 {
        ((self.0[1] as i64 as i128) << 64) | self.0[0] as i128
    }
}

impl Quantity {
    /// Zero, in [`QuantityFormat::DecimalSI`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert!(Quantity::ZERO.is_zero());
    /// assert_eq!(Quantity::ZERO.to_string(), "0");
    /// ```
    pub const ZERO: Quantity = Quantity {
        nanos: Halves::new(0),
        format: QuantityFormat::DecimalSI,
    };

    /// The largest representable quantity: `i128::MAX` nano-units.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::MAX.nanos(), i128::MAX);
    /// assert_eq!(Quantity::MAX.saturating_add(Quantity::from_units(1)), Quantity::MAX);
    /// ```
    pub const MAX: Quantity = Quantity {
        nanos: Halves::new(i128::MAX),
        format: QuantityFormat::DecimalSI,
    };

    /// The smallest (most negative) representable quantity: `i128::MIN` nano-units.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::MIN.nanos(), i128::MIN);
    /// assert_eq!(Quantity::parse(&Quantity::MIN.to_string()), Ok(Quantity::MIN));
    /// ```
    pub const MIN: Quantity = Quantity {
        nanos: Halves::new(i128::MIN),
        format: QuantityFormat::DecimalSI,
    };

    /// Parses Kubernetes quantity text such as `100m`, `0.5`, `128Mi`, `1e3`.
    ///
    /// Surrounding whitespace is not accepted (the serde deserializer trims it, as
    /// Kubernetes' JSON decoding does). Values finer than `1n` round up in magnitude.
    ///
    /// # Errors
    ///
    /// A [`QuantityError`] of kind [`QuantityErrorKind::Format`] or
    /// [`QuantityErrorKind::Suffix`] for malformed text, or
    /// [`QuantityErrorKind::Overflow`] when the value does not fit.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::parse("100m").unwrap().nanos(), 100_000_000);
    /// assert_eq!(Quantity::parse("0.1n").unwrap().nanos(), 1);
    /// assert!(Quantity::parse("1.5.5Gi").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        parse_quantity(text).map_err(|kind| QuantityError::new(kind, text))
    }

    /// A quantity of `n` whole units, in [`QuantityFormat::DecimalSI`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::from_units(2000).to_string(), "2k");
    /// ```
    #[must_use]
    pub const fn from_units(n: i64) -> Quantity {
        Quantity::from_nanos(n as i128 * NANOS_PER_UNIT)
    }

    /// A quantity of `m` milli-units, in [`QuantityFormat::DecimalSI`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::from_milli(250).to_string(), "250m");
    /// assert_eq!(Quantity::from_milli(1000), Quantity::from_units(1));
    /// ```
    #[must_use]
    pub const fn from_milli(m: i64) -> Quantity {
        Quantity::from_nanos(m as i128 * NANOS_PER_MILLI)
    }

    /// A quantity of `n` nano-units, in [`QuantityFormat::DecimalSI`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::from_nanos(1500).to_string(), "1500n");
    /// ```
    #[must_use]
    pub const fn from_nanos(n: i128) -> Quantity {
        Quantity {
            nanos: Halves::new(n),
            format: QuantityFormat::DecimalSI,
        }
    }

    /// The same value, to be printed in `format` instead.
    ///
    /// As in Kubernetes, a `BinarySI` value that is not a whole number of units,
    /// or whose magnitude is below 1024, still prints as `DecimalSI`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::{Quantity, QuantityFormat};
    ///
    /// let q = Quantity::from_units(1 << 30).with_format(QuantityFormat::BinarySI);
    /// assert_eq!(q.to_string(), "1Gi");
    /// ```
    #[must_use]
    pub const fn with_format(self, format: QuantityFormat) -> Quantity {
        Quantity {
            nanos: self.nanos,
            format,
        }
    }

    /// The exact value as a count of nano-units (10⁻⁹).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::parse("1.5").unwrap().nanos(), 1_500_000_000);
    /// ```
    #[must_use]
    pub const fn nanos(&self) -> i128 {
        self.nanos.get()
    }

    /// The value in milli-units, rounded up in magnitude (away from zero) like
    /// Kubernetes' `MilliValue()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::parse("1.5").unwrap().milli_ceil(), 1500);
    /// assert_eq!(Quantity::parse("1n").unwrap().milli_ceil(), 1);
    /// assert_eq!(Quantity::parse("-1n").unwrap().milli_ceil(), -1);
    /// ```
    #[must_use]
    pub const fn milli_ceil(&self) -> i128 {
        div_away_from_zero(self.nanos(), NANOS_PER_MILLI)
    }

    /// The value in whole units, rounded up in magnitude (away from zero) like
    /// Kubernetes' `Value()`.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert_eq!(Quantity::parse("100m").unwrap().units_ceil(), 1);
    /// assert_eq!(Quantity::parse("2k").unwrap().units_ceil(), 2000);
    /// assert_eq!(Quantity::parse("-1.5").unwrap().units_ceil(), -2);
    /// ```
    #[must_use]
    pub const fn units_ceil(&self) -> i128 {
        div_away_from_zero(self.nanos(), NANOS_PER_UNIT)
    }

    /// The format the quantity was written in, used when printing it.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::{Quantity, QuantityFormat};
    ///
    /// assert_eq!(Quantity::parse("1Ki").unwrap().format(), QuantityFormat::BinarySI);
    /// // Like Kubernetes, a binary value below one unit is kept as DecimalSI.
    /// assert_eq!(Quantity::parse("0.0001Ki").unwrap().format(), QuantityFormat::DecimalSI);
    /// ```
    #[must_use]
    pub const fn format(&self) -> QuantityFormat {
        self.format
    }

    /// Whether the value is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert!(Quantity::parse("0Mi").unwrap().is_zero());
    /// assert!(!Quantity::parse("1n").unwrap().is_zero());
    /// ```
    #[must_use]
    pub const fn is_zero(&self) -> bool {
        self.nanos() == 0
    }

    /// Whether the value is below zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert!(Quantity::parse("-1").unwrap().is_negative());
    /// assert!(!Quantity::ZERO.is_negative());
    /// ```
    #[must_use]
    pub const fn is_negative(&self) -> bool {
        self.nanos() < 0
    }

    /// Whether the value is above zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// assert!(Quantity::parse("1n").unwrap().is_positive());
    /// assert!(!Quantity::ZERO.is_positive());
    /// ```
    #[must_use]
    pub const fn is_positive(&self) -> bool {
        self.nanos() > 0
    }

    /// The sum, or `None` if it does not fit in `i128` nano-units.
    ///
    /// The result keeps `self`'s format, or takes `other`'s when `self` is zero
    /// (as Kubernetes' `Add` does).
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// let a = Quantity::parse("1Gi").unwrap();
    /// let b = Quantity::parse("512Mi").unwrap();
    /// assert_eq!(a.checked_add(b).unwrap().to_string(), "1536Mi");
    /// assert_eq!(Quantity::MAX.checked_add(Quantity::from_nanos(1)), None);
    /// ```
    #[must_use]
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        self.nanos()
            .checked_add(other.nanos())
            .map(|nanos| self.combined(other, nanos))
    }

    /// The difference, or `None` if it does not fit in `i128` nano-units.
    ///
    /// The result's format follows the same rule as [`Quantity::checked_add`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// let a = Quantity::parse("1").unwrap();
    /// let b = Quantity::parse("250m").unwrap();
    /// assert_eq!(a.checked_sub(b).unwrap().to_string(), "750m");
    /// assert_eq!(Quantity::MIN.checked_sub(Quantity::from_nanos(1)), None);
    /// ```
    #[must_use]
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        self.nanos()
            .checked_sub(other.nanos())
            .map(|nanos| self.combined(other, nanos))
    }

    /// The sum, saturating at [`Quantity::MAX`] / [`Quantity::MIN`].
    ///
    /// The result's format follows the same rule as [`Quantity::checked_add`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// let q = Quantity::ZERO.saturating_add(Quantity::parse("128Mi").unwrap());
    /// assert_eq!(q.to_string(), "128Mi");
    /// assert_eq!(Quantity::MAX.saturating_add(Quantity::MAX), Quantity::MAX);
    /// ```
    #[must_use]
    pub fn saturating_add(self, other: Quantity) -> Quantity {
        self.combined(other, self.nanos().saturating_add(other.nanos()))
    }

    /// The difference; it may be negative, and saturates only at
    /// [`Quantity::MAX`] / [`Quantity::MIN`].
    ///
    /// The result's format follows the same rule as [`Quantity::checked_add`].
    ///
    /// # Examples
    ///
    /// ```
    /// use daemonset_planner::quantity::Quantity;
    ///
    /// let q = Quantity::from_milli(100).saturating_sub(Quantity::from_units(1));
    /// assert_eq!(q.to_string(), "-900m");
    /// assert_eq!(Quantity::MIN.saturating_sub(Quantity::from_units(1)), Quantity::MIN);
    /// ```
    #[must_use]
    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        self.combined(other, self.nanos().saturating_sub(other.nanos()))
    }

    /// The result of combining `self` with `other` into `nanos`, with the format
    /// rule of Kubernetes' `Add`/`Sub`.
    fn combined(self, other: Quantity, nanos: i128) -> Quantity {
        let format = if self.nanos() == 0 {
            other.format
        } else {
            self.format
        };
        Quantity {
            nanos: Halves::new(nanos),
            format,
        }
    }
}

/// `n / d` rounded away from zero; `d` must be positive and greater than one.
const fn div_away_from_zero(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d == 0 {
        q
    } else if n > 0 {
        q + 1
    } else {
        q - 1
    }
}

impl Default for Quantity {
    /// [`Quantity::ZERO`].
    fn default() -> Quantity {
        Quantity::ZERO
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos() == other.nanos()
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos().cmp(&other.nanos())
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos().hash(state);
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

impl TryFrom<&str> for Quantity {
    type Error = QuantityError;

    fn try_from(s: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(s)
    }
}

impl Add for Quantity {
    type Output = Quantity;

    /// Saturating addition; see [`Quantity::saturating_add`].
    fn add(self, other: Quantity) -> Quantity {
        self.saturating_add(other)
    }
}

impl AddAssign for Quantity {
    /// Saturating addition; see [`Quantity::saturating_add`].
    fn add_assign(&mut self, other: Quantity) {
        *self = self.saturating_add(other);
    }
}

impl Sub for Quantity {
    type Output = Quantity;

    /// Saturating subtraction; see [`Quantity::saturating_sub`].
    fn sub(self, other: Quantity) -> Quantity {
        self.saturating_sub(other)
    }
}

impl SubAssign for Quantity {
    /// Saturating subtraction; see [`Quantity::saturating_sub`].
    fn sub_assign(&mut self, other: Quantity) {
        *self = self.saturating_sub(other);
    }
}

impl Sum for Quantity {
    /// Saturating sum, starting from [`Quantity::ZERO`].
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, Quantity::saturating_add)
    }
}

impl<'a> Sum<&'a Quantity> for Quantity {
    /// Saturating sum, starting from [`Quantity::ZERO`].
    fn sum<I: Iterator<Item = &'a Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::ZERO, |acc, q| acc.saturating_add(*q))
    }
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// How a suffix scales the number.
#[derive(Clone, Copy)]
enum Scale {
    /// Multiply by 10 to this power.
    Decimal(i32),
    /// Multiply by 2 to this power (10, 20, ..., 60).
    Binary(u32),
}

/// Interprets a suffix as Kubernetes' `quantitySuffixer.interpret` does.
fn interpret_suffix(suffix: &str) -> Option<(Scale, QuantityFormat)> {
    use QuantityFormat::{BinarySI, DecimalExponent, DecimalSI};
    let decimal = |e| Some((Scale::Decimal(e), DecimalSI));
    let binary = |e| Some((Scale::Binary(e), BinarySI));
    match suffix {
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            // `e`/`E` then an int32 with an optional sign, like Go's
            // strconv.ParseInt(s[1:], 10, 32).
            let rest = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let exponent = rest.parse::<i32>().ok()?;
            Some((Scale::Decimal(exponent), DecimalExponent))
        }
    }
}

/// Advances `pos` over the bytes of `bytes` that satisfy `pred`.
fn skip_while(bytes: &[u8], mut pos: usize, pred: impl Fn(u8) -> bool) -> usize {
    while bytes.get(pos).is_some_and(|&b| pred(b)) {
        pos += 1;
    }
    pos
}

/// Parses `text` into a quantity, reporting only the kind of failure.
///
/// The shape check follows Kubernetes' `parseQuantityString` so that malformed
/// text gets the same error kind as there; the value is then computed exactly on
/// the decimal digits, so no input length or exponent can overflow or panic.
fn parse_quantity(text: &str) -> Result<Quantity, QuantityErrorKind> {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(QuantityErrorKind::Format);
    }

    // Sign.
    let (negative, mut pos) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };

    // Number: digits, optionally a point and more digits.
    let int_start = pos;
    pos = skip_while(bytes, pos, |b| b.is_ascii_digit());
    let int_digits = &bytes[int_start..pos];
    let mut frac_digits: &[u8] = &[];
    if bytes.get(pos) == Some(&b'.') {
        let frac_start = pos + 1;
        pos = skip_while(bytes, frac_start, |b| b.is_ascii_digit());
        frac_digits = &bytes[frac_start..pos];
    }

    // Suffix: letters, then an optional sign, then digits, then the end.
    let suffix_start = pos;
    pos = skip_while(bytes, pos, |b| SUFFIX_LETTERS.contains(&b));
    if matches!(bytes.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    pos = skip_while(bytes, pos, |b| b.is_ascii_digit());
    if pos != bytes.len() {
        return Err(QuantityErrorKind::Format);
    }
    // Everything before `suffix_start` is ASCII, so this is a char boundary.
    let suffix = text.get(suffix_start..).ok_or(QuantityErrorKind::Format)?;
    let (scale, format) = interpret_suffix(suffix).ok_or(QuantityErrorKind::Suffix)?;

    // At least one digit is required (Kubernetes would take `Ki` or `.` as zero).
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(QuantityErrorKind::Format);
    }

    let magnitude = exact_nanos(int_digits, frac_digits, scale)?;
    let nanos = if negative {
        0i128.checked_sub_unsigned(magnitude)
    } else {
        i128::try_from(magnitude).ok()
    }
    .ok_or(QuantityErrorKind::Overflow)?;

    // Like Kubernetes, a binary value strictly between zero and one unit is
    // kept as DecimalSI.
    let format = if format == QuantityFormat::BinarySI
        && nanos != 0
        && nanos.unsigned_abs() < NANOS_PER_UNIT.unsigned_abs()
    {
        QuantityFormat::DecimalSI
    } else {
        format
    };
    Ok(Quantity {
        nanos: Halves::new(nanos),
        format,
    })
}

/// Multiplies the little-endian decimal digits in `digits` by `factor` in place.
fn mul_small(digits: &mut Vec<u8>, factor: u32) {
    let mut carry: u64 = 0;
    for d in digits.iter_mut() {
        let v = u64::from(*d) * u64::from(factor) + carry;
        *d = (v % 10) as u8;
        carry = v / 10;
    }
    while carry > 0 {
        digits.push((carry % 10) as u8);
        carry /= 10;
    }
}

/// Reads big-endian decimal digit values into a `u128`, or `None` on overflow.
fn digits_to_u128<'a>(mut digits: impl Iterator<Item = &'a u8>) -> Option<u128> {
    digits.try_fold(0u128, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u128::from(d))
    })
}

/// The magnitude of `<int>.<frac> × scale` in nano-units, rounded up.
fn exact_nanos(
    int_digits: &[u8],
    frac_digits: &[u8],
    scale: Scale,
) -> Result<u128, QuantityErrorKind> {
    // Little-endian digit values of the number without its point.
    let mut digits: Vec<u8> = int_digits
        .iter()
        .chain(frac_digits)
        .rev()
        .map(|b| b - b'0')
        .collect();
    // Strip leading zeros (at the end of the little-endian vector).
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        return Ok(0);
    }
    // Strip trailing zeros, moving them into the exponent.
    let trailing = digits.iter().take_while(|&&d| d == 0).count();
    digits.drain(..trailing);

    // value = digits × 10^exp10 nano-units (× 2^k for binary suffixes).
    let frac_len = i64::try_from(frac_digits.len()).unwrap_or(i64::MAX);
    let trailing = i64::try_from(trailing).unwrap_or(i64::MAX);
    let decimal_exponent = match scale {
        Scale::Decimal(e) => i64::from(e),
        Scale::Binary(k) => {
            for _ in 0..k / 10 {
                mul_small(&mut digits, 1024);
            }
            0
        }
    };
    let exp10 = decimal_exponent
        .saturating_add(9)
        .saturating_sub(frac_len)
        .saturating_add(trailing);
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);

    if exp10 >= 0 {
        // digits ≥ 10^(len-1), so the value is ≥ 10^(len-1+exp10) > u128::MAX
        // once that exponent reaches 39.
        if len.saturating_sub(1).saturating_add(exp10) >= MAX_DIGITS {
            return Err(QuantityErrorKind::Overflow);
        }
        let power = u32::try_from(exp10).map_err(|_| QuantityErrorKind::Overflow)?;
        digits_to_u128(digits.iter().rev())
            .and_then(|m| m.checked_mul(10u128.checked_pow(power)?))
            .ok_or(QuantityErrorKind::Overflow)
    } else {
        // Finer than a nano-unit: keep the whole part, round any fraction up.
        let shift = exp10.unsigned_abs();
        let Ok(shift) = usize::try_from(shift) else {
            return Ok(1);
        };
        if shift >= digits.len() {
            // A non-zero value below 1n rounds up to 1n.
            return Ok(1);
        }
        let (fraction, whole) = digits.split_at(shift);
        if i64::try_from(whole.len()).unwrap_or(i64::MAX) > MAX_DIGITS {
            return Err(QuantityErrorKind::Overflow);
        }
        let whole = digits_to_u128(whole.iter().rev()).ok_or(QuantityErrorKind::Overflow)?;
        if fraction.iter().any(|&d| d != 0) {
            whole.checked_add(1).ok_or(QuantityErrorKind::Overflow)
        } else {
            Ok(whole)
        }
    }
}

// ---------------------------------------------------------------------------
// Display
// ---------------------------------------------------------------------------

impl fmt::Display for Quantity {
    /// The canonical form in the stored format, as Kubernetes' `String()` prints
    /// it: `1.5Gi` → `1536Mi`, `0.5` → `500m`, `1e3` → `1e3`, zero → `0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos() == 0 {
            return f.write_str("0");
        }
        let sign = if self.nanos() < 0 { "-" } else { "" };
        let magnitude = self.nanos().unsigned_abs();
        let units = NANOS_PER_UNIT.unsigned_abs();

        let format = match self.format {
            // Below 1Ki, or not a whole number of units: fall back to DecimalSI.
            QuantityFormat::BinarySI
                if magnitude < NANOS_PER_KI || !magnitude.is_multiple_of(units) =>
            {
                QuantityFormat::DecimalSI
            }
            other => other,
        };

        if format == QuantityFormat::BinarySI {
            const SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
            let mut mantissa = magnitude / units;
            let mut index = 0;
            while index + 1 < SUFFIXES.len() && mantissa.is_multiple_of(1024) {
                mantissa /= 1024;
                index += 1;
            }
            return write!(f, "{sign}{mantissa}{}", SUFFIXES[index]);
        }

        // Decimal: remove factors of ten, then bring the exponent down to a
        // multiple of three. The mantissa never exceeds the magnitude.
        let mut mantissa = magnitude;
        let mut exponent: i32 = -9;
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            exponent += 1;
        }
        let excess = exponent.rem_euclid(3);
        mantissa *= 10u128.pow(excess.unsigned_abs());
        exponent -= excess;

        if format == QuantityFormat::DecimalExponent {
            return if exponent == 0 {
                write!(f, "{sign}{mantissa}")
            } else {
                write!(f, "{sign}{mantissa}e{exponent}")
            };
        }
        if exponent > 18 {
            mantissa *= 10u128.pow((exponent - 18).unsigned_abs());
            exponent = 18;
        }
        let suffix = match exponent {
            -9 => "n",
            -6 => "u",
            -3 => "m",
            3 => "k",
            6 => "M",
            9 => "G",
            12 => "T",
            15 => "P",
            18 => "E",
            _ => "",
        };
        write!(f, "{sign}{mantissa}{suffix}")
    }
}

// ---------------------------------------------------------------------------
// Serde
// ---------------------------------------------------------------------------

impl serde::Serialize for Quantity {
    /// Serializes as the canonical string, e.g. `"1536Mi"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Quantity {
    /// Accepts a string (surrounding whitespace trimmed, as Kubernetes' JSON
    /// decoding does), an integer, a float (printed with Rust's shortest
    /// representation, then parsed exactly), or null (zero, as in Kubernetes).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

/// Serde visitor for [`Quantity`].
struct QuantityVisitor;

impl QuantityVisitor {
    fn parse<E: serde::de::Error>(text: &str) -> Result<Quantity, E> {
        Quantity::parse(text)
            .map_err(|err| E::custom(format_args!("invalid quantity {:?}: {err}", err.input())))
    }

    fn whole<E: serde::de::Error>(
        units: Option<i128>,
        shown: &dyn fmt::Display,
    ) -> Result<Quantity, E> {
        units
            .and_then(|u| u.checked_mul(NANOS_PER_UNIT))
            .map(Quantity::from_nanos)
            .ok_or_else(|| {
                E::custom(format_args!(
                    "invalid quantity \"{shown}\": {}",
                    QuantityErrorKind::Overflow
                ))
            })
    }
}

impl serde::de::Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes quantity such as \"100m\", \"128Mi\" or a number")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
        QuantityVisitor::parse(v.trim())
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
        Ok(Quantity::from_units(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
        QuantityVisitor::whole(Some(i128::from(v)), &v)
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Quantity, E> {
        QuantityVisitor::whole(Some(v), &v)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Quantity, E> {
        QuantityVisitor::whole(i128::try_from(v).ok(), &v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
        // Rust's `Display` for f64 is the shortest text that reads back as the
        // same float, without an exponent; the text is then parsed exactly.
        QuantityVisitor::parse(&v.to_string())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Quantity, E> {
        Ok(Quantity::ZERO)
    }
}

#[cfg(test)]
mod halves_tests {
    use super::Halves;

    #[test]
    fn halves_round_trip_every_sign_and_edge() {
        let values = [
            0,
            1,
            -1,
            i128::MAX,
            i128::MIN,
            i128::from(u64::MAX),
            -i128::from(u64::MAX),
            1 << 64,
            -(1 << 64),
            123_456_789_000_000_000_000_000_000,
            -987_654_321_000_000_000_000_000,
        ];
        for n in values {
            assert_eq!(Halves::new(n).get(), n, "{n}");
        }
        // 24 bytes where u64 aligns to 8 (it was 32 with an i128 field).
        assert!(std::mem::size_of::<super::Quantity>() <= 24);
        let q = super::Quantity::parse("-1Gi").unwrap();
        assert!(
            format!("{q:?}").contains("nanos: -1073741824000000000,"),
            "{q:?}"
        );
    }
}
