/**
 * The memory tier on Caffeine: bounded by entries or bytes, per-entry expiry, injectable time. The
 * only package that imports Caffeine. Entry point: {@link dev.cachet.memory.MemoryCacheBuilder}.
 */
package dev.cachet.memory;
