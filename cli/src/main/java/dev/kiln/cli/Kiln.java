package dev.kiln.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/**
 * The {@code kiln} command line: {@code summary}, {@code validate}, {@code backends}, {@code
 * convert}, {@code predict}, {@code train} and {@code evaluate}.
 *
 * <p>Exit codes: 0 success, 1 bad input (one line {@code kiln: <cause>} on standard error, the
 * stack trace too with {@code --verbose}), 2 usage.
 */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    version = "kiln 0.1.0-SNAPSHOT",
    description =
        "Keras-style deep learning for Java: inspect, check, convert, run, train and evaluate models.",
    subcommands = {
      SummaryCommand.class,
      ValidateCommand.class,
      BackendsCommand.class,
      ConvertCommand.class,
      PredictCommand.class,
      TrainCommand.class,
      EvaluateCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Kiln implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The exit code for input that cannot be used: a missing file, a bad config, a wrong shape. */
  public static final int BAD_INPUT = 1;

  /** The exit code for a command line picocli cannot parse. */
  public static final int USAGE = 2;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
  }

  /** Runs the command line and exits with its code. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests call {@code execute} on it with their own writers. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Kiln());
    cl.setExecutionExceptionHandler(Kiln::failed);
    return cl;
  }

  /** Creates the command line with {@code out} and {@code err} as its writers. */
  public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine();
    cl.setOut(out);
    cl.setErr(err);
    return cl;
  }

  private static int failed(Exception e, CommandLine cl, ParseResult parsed) {
    PrintWriter err = cl.getErr();
    err.println("kiln: " + cause(e));
    if (verbose(parsed)) {
      e.printStackTrace(err);
    }
    err.flush();
    return BAD_INPUT;
  }

  private static boolean verbose(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (p.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /** One line naming what went wrong, without the exception's class where the message says it. */
  static String cause(Throwable e) {
    if (e instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile();
    }
    if (e instanceof AccessDeniedException a) {
      return "cannot read " + a.getFile() + ": permission denied";
    }
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getSimpleName()
          + (e.getCause() != null ? ": " + cause(e.getCause()) : "");
    }
    if (e instanceof dev.kiln.api.KilnException
        || e instanceof CliException
        || e instanceof java.io.IOException
        || e instanceof dev.kiln.spi.backend.BackendException) {
      return firstLine(m);
    }
    return e.getClass().getSimpleName() + ": " + firstLine(m);
  }

  // The cause stays on one line so scripts can read it; a multi-line message is joined.
  private static String firstLine(String m) {
    return m.strip().replaceAll("\\s*\\R\\s*", "; ");
  }
}
