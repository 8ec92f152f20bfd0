/**
 * Internal machinery shared by every tier: argument checks, single-flight loading, the instrumentation
 * recorder and the base cache class. <b>Not API:</b> nothing here is supported for applications and it
 * may change in any release.
 */
package dev.cachet.internal;
