package dev.cachet.benchmarks;

import dev.cachet.internal.MultiFormatSerializer;
import dev.cachet.serialization.PayloadFormat;
import dev.cachet.serialization.ValueSerializers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JSON against CBOR payloads ({@code RedisCacheBuilder.payloadFormat}): the time to serialize and then
 * deserialize a value ({@code roundTrip}), to serialize it ({@code write}, every put) and to deserialize
 * it ({@code read}, every Redis hit), and the encoded size, through the serializer the Redis codec uses ({@code
 * ValueSerializers.json(Order.class)} and its CBOR twin, the default mapper with {@code java.time}).
 * Neither encryption nor compression is included.
 *
 * <p>The value is an order record: id, customer id, placement time (epoch milliseconds), status, total
 * in cents, and {@code n} line items of SKU, title, quantity, unit price in cents, discount rate and a
 * gift-wrap flag. {@code size} is the target JSON size: {@code n} is the number of lines that brings the
 * JSON encoding closest to it (100: no lines, 105 bytes; 1024: 7 lines, 998 bytes; 102400: 793 lines,
 * 102,385 bytes). The exact encoded sizes are printed once per trial ({@code encoded size: format=... -> N
 * bytes}, in JMH's output) and tabled in {@code benchmarks/report/notes/payload-format.md}.
 *
 * <p>Run through {@code benchmarks/run.sh}, or {@code java -jar benchmarks/target/benchmarks.jar
 * PayloadFormatBenchmark}; see {@code docs/benchmarks.md}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PayloadFormatBenchmark {

  /** One line item. */
  public record Line(String sku, String title, int quantity, long unitCents, double discount, boolean giftWrap) {}

  /** The benchmarked value. */
  public record Order(
      String id, String customer, long placedAt, String status, long totalCents, List<Line> lines) {}

  @Param({"JSON", "CBOR"})
  PayloadFormat format;

  @Param({"100", "1024", "102400"})
  int size;

  MultiFormatSerializer<Order> serializer;
  Order order;
  byte[] encoded;
  int jsonSize;

  @SuppressWarnings("unchecked")
  @Setup
  public void setUp() {
    serializer = (MultiFormatSerializer<Order>) ValueSerializers.json(Order.class);
    order = orderOfJsonSize(serializer, size);
    encoded = serializer.serialize(format.id(), order);
    jsonSize = serializer.serialize(PayloadFormat.JSON.id(), order).length;
    if (!serializer.deserialize(format.id(), encoded, 0, encoded.length).equals(order)) {
      throw new IllegalStateException(format + " does not read back what it wrote");
    }
  }

  /** The order whose JSON encoding is closest to {@code target} bytes. */
  static Order orderOfJsonSize(MultiFormatSerializer<Order> serializer, int target) {
    List<Line> lines = new ArrayList<>();
    Order best = order(lines);
    int bestDistance = Math.abs(serializer.serialize(0, best).length - target);
    for (int i = 0; i < 100_000; i++) {
      lines.add(new Line(String.format("SKU-%06d", i), "Blue ceramic mug, 350 ml, " + (i % 7 + 1) + " pack",
          1 + i % 4, 599 + (i * 37) % 5000, (i % 5) * 0.05, i % 3 == 0));
      Order candidate = order(lines);
      int distance = Math.abs(serializer.serialize(0, candidate).length - target);
      if (distance > bestDistance) {
        break;
      }
      best = candidate;
      bestDistance = distance;
    }
    return best;
  }

  private static Order order(List<Line> lines) {
    long total = lines.stream().mapToLong(l -> l.quantity() * l.unitCents()).sum();
    return new Order("o-1767225", "c-0042", 1_767_225_600_123L, "PAID", total, List.copyOf(lines));
  }

  /** Prints the encoded sizes once per trial (they do not vary: a table, not a measurement). */
  @TearDown
  public void printSizes() {
    System.out.printf("%nencoded size: format=%s size=%d lines=%d -> %d bytes (JSON %d bytes, %.0f %%)%n",
        format, size, order.lines().size(), encoded.length, jsonSize, 100.0 * encoded.length / jsonSize);
  }

  @Benchmark
  public Order roundTrip() {
    byte[] bytes = serializer.serialize(format.id(), order);
    return serializer.deserialize(format.id(), bytes, 0, bytes.length);
  }

  @Benchmark
  public byte[] write() {
    return serializer.serialize(format.id(), order);
  }

  @Benchmark
  public Order read() {
    return serializer.deserialize(format.id(), encoded, 0, encoded.length);
  }
}
