package dev.kiln.api.callbacks;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the monitoring callbacks share: the direction of a metric and the improvement test. */
final class Monitor {
  private static final Logger LOG = LoggerFactory.getLogger(Monitor.class);

  private Monitor() {}

  static boolean maximize(String monitor, String mode) {
    switch (mode) {
      case "min":
        return false;
      case "max":
        return true;
      case "auto":
        String m = monitor.startsWith("val_") ? monitor.substring(4) : monitor;
        return m.contains("acc")
            || m.contains("auc")
            || m.contains("precision")
            || m.contains("recall")
            || m.contains("f1")
            || m.contains("r2");
      default:
        throw new IllegalArgumentException(
            "mode must be one of 'auto', 'min', 'max'. Received: mode=" + mode);
    }
  }

  static boolean improved(double v, double best, double minDelta, boolean maximize) {
    return maximize ? v - minDelta > best : v + minDelta < best;
  }

  static Double value(Map<String, Double> logs, String monitor, String who) {
    Double v = logs.get(monitor);
    if (v == null) {
      LOG.warn(
          "{} is conditioned on metric `{}` which is not available. Available metrics are: {}",
          who,
          monitor,
          String.join(",", logs.keySet()));
    }
    return v;
  }
}
