"""Unit tests of the report's interval arithmetic and verdict rule. Not part of the Maven build:

    python3 -m unittest discover -s benchmarks/report -v
"""
import json
import math
import os
import tempfile
import unittest

import generate
import verdicts
from verdicts import Estimate


def est(low, high, forks=3):
    return Estimate((low + high) / 2, low, high, forks, forks * 5)


class StudentTTests(unittest.TestCase):
    def test_quantile_matchesTable(self):
        # two-sided 99.9 % quantiles (the ones verdicts.py used to hard-code) and a textbook value
        for df, expected in ((14, 4.140), (29, 3.659), (44, 3.526), (2, 31.599), (1000, 3.300)):
            self.assertAlmostEqual(verdicts.student_t_quantile(0.9995, df), expected, places=2)
        self.assertAlmostEqual(verdicts.student_t_quantile(0.975, 10), 2.228, places=3)

    def test_estimate_reproducesJmhScoreError(self):
        # FernetBenchmark.cachetEncrypt size=1024, one interleaved fork: JMH printed 509849.827 ± 50418.7
        path = os.path.join(generate.ROOT, "benchmarks", "results", "interleaved", "rep1-cachetEncrypt-1024.json")
        with open(path) as f:
            record = json.load(f)[0]
        values = record["primaryMetric"]["rawData"][0]
        e = verdicts.estimate(values, 1)
        self.assertAlmostEqual(e.point, record["primaryMetric"]["score"], places=6)
        self.assertAlmostEqual(e.error, record["primaryMetric"]["scoreError"], delta=1e-6 * e.point)

    def test_estimate_singleSample_hasNoInterval(self):
        e = verdicts.estimate([5.0], 1)
        self.assertEqual(e.point, 5.0)
        self.assertFalse(e.has_interval())


class RatioTests(unittest.TestCase):
    def test_ratio_takesExtremesOfBothIntervals(self):
        r = verdicts.ratio(est(10, 12), est(4, 5))
        self.assertAlmostEqual(r.low, 10 / 5)
        self.assertAlmostEqual(r.high, 12 / 4)
        self.assertAlmostEqual(r.point, 11 / 4.5)

    def test_ratio_denominatorIntervalReachingZero_isUnbounded(self):
        self.assertTrue(math.isinf(verdicts.ratio(est(1, 2), est(-1, 3)).high))

    def test_difference_takesExtremes(self):
        d = verdicts.difference(est(50, 60), est(10, 12))
        self.assertEqual((d.low, d.high), (38, 50))

    def test_ratio_keepsFewestForks(self):
        self.assertEqual(verdicts.ratio(est(1, 2, forks=3), est(1, 2, forks=1)).forks, 1)


class VerdictTests(unittest.TestCase):
    def test_atMost_wholeIntervalBelowBar_met(self):
        self.assertEqual(verdicts.verdict(est(0.9, 1.15), "<=", 1.15), verdicts.MET)

    def test_atMost_wholeIntervalAboveBar_missed(self):
        self.assertEqual(verdicts.verdict(est(1.16, 2.0), "<=", 1.15), verdicts.MISSED)

    def test_atMost_intervalStraddlesBar_unresolved(self):
        self.assertEqual(verdicts.verdict(est(0.87, 1.20), "<=", 1.15), verdicts.UNRESOLVED)

    def test_atLeast_met_missed_unresolved(self):
        self.assertEqual(verdicts.verdict(est(2.04, 4.35), ">=", 1.8), verdicts.MET)
        self.assertEqual(verdicts.verdict(est(1.0, 1.79), ">=", 1.8), verdicts.MISSED)
        self.assertEqual(verdicts.verdict(est(1.5, 2.5), ">=", 1.8), verdicts.UNRESOLVED)

    def test_tooFewForks_notSuitable_evenIfIntervalClears(self):
        self.assertEqual(verdicts.verdict(est(0.1, 0.2, forks=1), "<=", 1.15), verdicts.NOT_SUITABLE)
        self.assertEqual(verdicts.verdict(est(0.1, 0.2, forks=2), "<=", 1.15, min_forks=2), verdicts.MET)

    def test_noInterval_notSuitable(self):
        nan = float("nan")
        self.assertEqual(verdicts.verdict(Estimate(1.0, nan, nan, 3, 1), "<=", 2), verdicts.NOT_SUITABLE)

    def test_unknownOperator_rejected(self):
        with self.assertRaises(ValueError):
            verdicts.verdict(est(1, 2), "<", 3)


class SampleTimeTests(unittest.TestCase):
    def test_histogramPercentile_firstValueReachingRank(self):
        hist = [[3.0, 10], [1.0, 80], [100.0, 10]]  # unsorted, as counts per value
        self.assertEqual(generate._hist_percentile(hist, 0.5), 1.0)
        self.assertEqual(generate._hist_percentile(hist, 0.9), 3.0)
        self.assertEqual(generate._hist_percentile(hist, 0.99), 100.0)

    def test_pooledSampleTime_percentileIntervalOverIterations_forksCounted(self):
        record = {"benchmark": "x.B.m", "mode": "sample", "threads": 1, "params": {"subject": "s"},
                  "primaryMetric": {"scoreUnit": "us/op", "rawDataHistogram": [
                      [[[1.0, 9], [10.0, 1]], [[2.0, 9], [20.0, 1]]],
                      [[[1.0, 9], [10.0, 1]]]]},
                  "secondaryMetrics": {}}
        pooled = generate.Pooled(record)
        pooled.add(record)
        p50, unit = pooled.stat("p50", 0.999)
        self.assertEqual((p50.forks, p50.samples, unit), (2, 3, "us/op"))
        self.assertAlmostEqual(p50.point, 4.0 / 3)
        mean, _ = pooled.stat("score", 0.999)
        self.assertAlmostEqual(mean.point, (1.9 + 3.8 + 1.9) / 3)


    def test_localP50_isTheMedianOfTheCallsUnderTheBound_perIteration(self):
        # 60 local hits (40 at 0.1 us, 20 at 1 us) and 40 round trips: the p50 of all calls is 1 us, the
        # median of the local hits 0.1 us
        record = {"benchmark": "x.B.m", "mode": "sample", "threads": 1, "params": {},
                  "primaryMetric": {"scoreUnit": "us/op", "rawDataHistogram": [
                      [[[0.1, 40], [1.0, 20], [120.0, 40]]]]},
                  "secondaryMetrics": {}}
        pooled = generate.Pooled(record)
        pooled.add(record)
        self.assertEqual(pooled.stat("p50", 0.999)[0].point, 1.0)
        self.assertEqual(pooled.stat("local-p50", 0.999)[0].point, 0.1)

    def test_localP50_refusesAnotherUnit(self):
        record = {"benchmark": "x.B.m", "mode": "sample", "threads": 1, "params": {},
                  "primaryMetric": {"scoreUnit": "ns/op", "rawDataHistogram": [[[[100.0, 1]]]]},
                  "secondaryMetrics": {}}
        pooled = generate.Pooled(record)
        pooled.add(record)
        with self.assertRaises(LookupError):
            pooled.stat("local-p50", 0.999)


class GoalRenderingTests(unittest.TestCase):
    """A goal table from two tiny JMH files: the verdict follows the pooled intervals and fork count."""

    def record(self, name, values_per_fork):
        return {"benchmark": "x.Bench." + name, "mode": "avgt", "threads": 1, "forks": len(values_per_fork),
                "params": {}, "primaryMetric": {"score": 0, "scoreUnit": "us/op", "rawData": values_per_fork},
                "secondaryMetrics": {}}

    def render(self, forks):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "r.json")
            with open(path, "w") as f:
                json.dump([self.record("a", [[10.0, 10.1, 9.9]] * forks),
                           self.record("b", [[20.0, 20.2, 19.8]] * forks)], f)
            inputs = {"minForks": 3, "runs": {"r": {"files": [path]}}, "sections": [{"title": "S", "blocks": [
                {"kind": "goal", "title": "a / b <= 0.6", "op": "<=", "bar": 0.6, "run": "r",
                 "rows": [{"label": "case", "a": {"benchmark": "Bench.a$"}, "b": {"benchmark": "Bench.b$"}}]}]}]}
            text, _ = generate.render(inputs, "")
            return text

    def test_goal_threeForks_met(self):
        self.assertIn("**met**", self.render(3))

    def test_goal_oneFork_notSuitable(self):
        self.assertIn("not suitable (1 fork; needs 3)", self.render(1))


if __name__ == "__main__":
    unittest.main()
