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
 */
record Result(
    String peer,
    String model,
    double samplesPerSecond,
    double peakRssMb,
    double finalLoss,
    String settings) {
  String line() {
    return String.format(
        Locale.ROOT,
        "RESULT\t%s\t%s\t%.1f\t%.1f\t%.4f\t%s",
        peer,
        model,
        samplesPerSecond,
        peakRssMb,
        finalLoss,
        settings);
  }

  static Result parse(String line) {
    String[] f = line.split("\t");
    return new Result(
        f[1],
        f[2],
        Double.parseDouble(f[3]),
        Double.parseDouble(f[4]),
        Double.parseDouble(f[5]),
        f.length > 6 ? f[6] : "");
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
