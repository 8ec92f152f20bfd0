/**
 * The operator command line ({@code -cli} JAR), parsed by picocli, an optional dependency that only the
 * {@code -cli} JAR contains. Not API: everything here except {@link
 * dev.cachet.cli.CachetCli#main(String[])} is package-private and may change without notice.
 */
package dev.cachet.cli;
