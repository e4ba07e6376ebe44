package dev.kiln.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * One worker's measurement, printed as one {@code RESULT} line that the orchestrator parses.
 *
 * @param peer who trained ({@code kiln+native}, {@code dl4j}, {@code pytorch})
 * @param model {@code mlp} or {@code lenet}
 * @param samplesPerSecond training throughput over the epoch after the first step
 * @param peakRssMb the process's peak resident set (VmHWM)
 * @param finalLoss the loss of the last step, a sanity check that training happened
 * @param settings threads and BLAS settings in effect
 * @param steadySamplesPerSecond throughput over the second half of the steps, once the JIT (or
 *     PyTorch's allocator caches) have warmed up; NaN where not measured
 */
record Result(
    String peer,
    String model,
    double samplesPerSecond,
    double peakRssMb,
    double finalLoss,
    String settings,
    double steadySamplesPerSecond) {
  Result(
      String peer,
      String model,
      double samplesPerSecond,
      double peakRssMb,
      double finalLoss,
      String settings) {
    this(peer, model, samplesPerSecond, peakRssMb, finalLoss, settings, Double.NaN);
  }

  /** This result with other settings. */
  Result withSettings(String s) {
    return new Result(
        peer, model, samplesPerSecond, peakRssMb, finalLoss, s, steadySamplesPerSecond);
  }

  /**
   * Samples/s over the steps from {@code half} to {@code steps - 1}, which took {@code nanos}: the
   * steady-state figure of a run timed from step 1.
   */
  static double steady(int steps, int half, int batch, long nanos) {
    return nanos > 0 ? (steps - half) * (double) batch / (nanos / 1e9) : Double.NaN;
  }

  String line() {
    return String.format(
        Locale.ROOT,
        "RESULT\t%s\t%s\t%.1f\t%.1f\t%.4f\t%s\t%.1f",
        peer,
        model,
        samplesPerSecond,
        peakRssMb,
        finalLoss,
        settings,
        steadySamplesPerSecond);
  }

  static Result parse(String line) {
    String[] f = line.split("\t");
    return new Result(
        f[1],
        f[2],
        Double.parseDouble(f[3]),
        Double.parseDouble(f[4]),
        Double.parseDouble(f[5]),
        f.length > 6 ? f[6] : "",
        f.length > 7 ? Double.parseDouble(f[7]) : Double.NaN);
  }

  /** This process's peak resident set in MB, from /proc (Linux). */
  static double processPeakRssMb() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
