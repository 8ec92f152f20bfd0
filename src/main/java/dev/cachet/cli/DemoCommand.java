package dev.cachet.cli;

import java.util.List;

/** Placeholder replaced by the real demo in the Foundation work. */
final class DemoCommand implements CliCommand {
  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "Zipf workload against a memory cache with a slow loader; prints hit rate and latency";
  }

  @Override
  public String usage() {
    return "usage: demo [--requests N] [--keys N] [--loader-millis N]";
  }

  @Override
  public int run(List<String> args, Io io) {
    io.out().println("demo: not built yet");
    return 0;
  }
}
