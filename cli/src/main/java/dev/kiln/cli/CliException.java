package dev.kiln.cli;

/** Bad input found by the command line itself; its message is the one line the user sees. */
final class CliException extends RuntimeException {
  CliException(String message) {
    super(message);
  }
}
