package dev.kiln.cli;

import picocli.CommandLine.Option;

/** The options every command has besides {@code --help} and {@code --version}. */
final class Common {
  @Option(
      names = "--verbose",
      description = "Print the stack trace of a failure too.",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  boolean verbose;
}
