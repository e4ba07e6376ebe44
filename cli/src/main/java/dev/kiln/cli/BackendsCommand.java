package dev.kiln.cli;

import dev.kiln.spi.backend.Availability;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendOptions;
import dev.kiln.spi.backend.BackendProvider;
import dev.kiln.spi.backend.Backends;
import dev.kiln.spi.backend.Device;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kiln backends}: the backends on the class path, whether they work here, and devices. */
@Command(
    name = "backends",
    mixinStandardHelpOptions = true,
    description = {
      "List the backends on the class path (highest priority first), whether each is available"
          + " here (with the reason when not) and its devices.",
      "The default one is marked '*'; -Dkiln.backend or KILN_BACKEND selects another.",
      "For the Kiln engine, -Dkiln.device or KILN_DEVICE (cpu, cuda, cuda:N) picks the default"
          + " device; the CUDA line says which GPUs and NVIDIA libraries were found, or why none.",
    })
final class BackendsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Common common;

  @Option(
      names = "--no-devices",
      description = "Do not open the available backends to list their devices.")
  boolean noDevices;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<BackendProvider> found = Backends.providers();
    if (found.isEmpty()) {
      throw new CliException(
          "no Kiln backend is on the class path: add dev.kiln:backend-native or"
              + " dev.kiln:backend-nd4j");
    }
    String chosen;
    try {
      chosen =
          Backends.select(
                  null,
                  System.getProperty(Backends.PROPERTY),
                  System.getenv(Backends.ENVIRONMENT),
                  found)
              .name();
    } catch (RuntimeException e) {
      chosen = null;
      out.println("(no default: " + Kiln.cause(e) + ")");
    }
    for (BackendProvider p : found) {
      Availability a = p.availability();
      out.printf(
          "%s %-8s priority %-4d %s%n",
          p.name().equals(chosen) ? "*" : " ",
          p.name(),
          p.priority(),
          a.available() ? "available" : "unavailable: " + a.reason());
      if (a.available() && !noDevices) {
        // Opening is the only way to learn the devices; a failure here is reported, not fatal.
        try (Backend b = p.open(BackendOptions.defaults())) {
          Device first = b.defaultDevice();
          for (Device d : b.devices()) {
            out.println("    device " + b.describe(d) + (d.equals(first) ? " (default)" : ""));
          }
          for (String note : b.notes()) {
            out.println("    " + note);
          }
        } catch (Exception e) {
          out.println("    cannot open: " + Kiln.cause(e));
        }
      }
    }
    out.flush();
    return 0;
  }
}
