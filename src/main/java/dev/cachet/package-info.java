/**
 * Cachet's public API: {@link dev.cachet.Cache}, its async view, loaders, statistics, health, key
 * codecs and the exception hierarchy rooted at {@link dev.cachet.CacheException}. No third-party type
 * appears in this package's signatures. Arguments and results are non-null unless a method says
 * otherwise.
 */
package dev.cachet;
