/**
 * The service-provider seam between the tiered cache and a remote tier (Redis), decorated by the
 * resilience layer. <b>Unsupported for applications:</b> these types are public only so that Cachet's
 * own packages can meet here; they may change in any release.
 */
package dev.cachet.spi;
