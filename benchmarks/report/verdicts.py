"""Interval arithmetic and goal verdicts for the benchmark report (Python 3 standard library only).

A measured quantity is an Estimate: a point value and a confidence interval [low, high]. Ratios and
differences of two estimates take the extremes of the two intervals (conservative):

    A / B  ->  [low A / high B, high A / low B]
    A - B  ->  [low A - high B, high A - low B]

A goal compares a quantity with a bar. It is "met" if the whole interval clears the bar, "missed" if
the whole interval lies beyond it, and "unresolved" otherwise. A quantity computed from fewer forks
than the report's minimum (or without an interval) gets no verdict: "not suitable".
"""
import math
import statistics
from dataclasses import dataclass

MET = "met"
MISSED = "missed"
UNRESOLVED = "unresolved"
NOT_SUITABLE = "not suitable"


@dataclass(frozen=True)
class Estimate:
    point: float
    low: float
    high: float
    forks: int = 0
    samples: int = 0

    @property
    def error(self):
        return (self.high - self.low) / 2

    def has_interval(self):
        return not (math.isnan(self.low) or math.isnan(self.high))


def _betacf(a, b, x):
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betainc(a, b, x):
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log(1.0 - x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_cdf(t, df):
    x = df / (df + t * t)
    tail = 0.5 * _betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t >= 0 else tail


def student_t_quantile(p, df):
    """The p-quantile (0.5 < p < 1) of Student's t with df degrees of freedom, by bisection."""
    if not 0.5 < p < 1.0 or df < 1:
        raise ValueError("need 0.5 < p < 1 and df >= 1")
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def estimate(values, forks, confidence=0.999):
    """Mean of the samples and its two-sided Student-t interval, as JMH computes its score error."""
    n = len(values)
    if n == 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, forks, 0)
    mean = statistics.fmean(values)
    if n < 2:
        return Estimate(mean, float("nan"), float("nan"), forks, n)
    half = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, forks, n)


def ratio(a, b):
    """A / B with the interval [low A / high B, high A / low B]."""
    point = a.point / b.point if b.point else math.inf
    if not (a.has_interval() and b.has_interval()):
        nan = float("nan")
        return Estimate(point, nan, nan, min(a.forks, b.forks), min(a.samples, b.samples))
    low = a.low / b.high if b.high > 0 else math.inf
    high = a.high / b.low if b.low > 0 else math.inf
    return Estimate(point, low, high, min(a.forks, b.forks), min(a.samples, b.samples))


def difference(a, b):
    """A - B with the interval [low A - high B, high A - low B]."""
    return Estimate(a.point - b.point, a.low - b.high, a.high - b.low,
                    min(a.forks, b.forks), min(a.samples, b.samples))


def verdict(quantity, op, bar, min_forks=3):
    """The verdict of "quantity op bar" (op is "<=" or ">="), from the quantity's whole interval."""
    if quantity.forks < min_forks or not quantity.has_interval():
        return NOT_SUITABLE
    if op == "<=":
        if quantity.high <= bar:
            return MET
        if quantity.low > bar:
            return MISSED
        return UNRESOLVED
    if op == ">=":
        if quantity.low >= bar:
            return MET
        if quantity.high < bar:
            return MISSED
        return UNRESOLVED
    raise ValueError("op must be <= or >=, got " + repr(op))
