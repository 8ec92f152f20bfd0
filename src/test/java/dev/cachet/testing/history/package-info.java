/** Histories of cache operations from several instances, and a checker of the consistency model. */
package dev.cachet.testing.history;
