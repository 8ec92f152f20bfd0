/**
 * Value serialization for remote tiers: the public {@link dev.cachet.serialization.ValueSerializer}
 * SPI and the built-ins in {@link dev.cachet.serialization.ValueSerializers}. Uses the JDK and Jackson
 * only; never Java serialization. Parameters and results are non-null unless documented otherwise.
 */
package dev.cachet.serialization;
