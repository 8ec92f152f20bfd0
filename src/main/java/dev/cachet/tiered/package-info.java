/**
 * The tiered cache: a memory tier in front of a remote tier, coherent across instances through the
 * remote tier's invalidation bus, with stampede protection and tenant views. Knows the {@link
 * dev.cachet.spi.RemoteTier} interface, never Redis itself. Entry point: {@link
 * dev.cachet.tiered.TieredCacheBuilder}.
 */
package dev.cachet.tiered;
