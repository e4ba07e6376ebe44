package dev.kiln.api.models;

import dev.kiln.api.callbacks.Callback;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code fit} returns: each epoch's logs, by metric name ({@code history().get("loss")}). */
public final class History extends Callback {
  private final Map<String, List<Double>> history = new LinkedHashMap<>();
  private final List<Integer> epochs = new ArrayList<>();

  @Override
  public void onEpochEnd(int epoch, Map<String, Double> logs) {
    epochs.add(epoch);
    for (Map.Entry<String, Double> e : logs.entrySet()) {
      history.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
  }

  /** Values per metric name, one per epoch run. */
  public Map<String, List<Double>> history() {
    return Collections.unmodifiableMap(history);
  }

  /** The values of one metric, one per epoch. */
  public List<Double> get(String name) {
    return history.getOrDefault(name, List.of());
  }

  /** The epochs run (0-based). */
  public List<Integer> epochs() {
    return epochs;
  }

  /** The last value of a metric, or NaN. */
  public double last(String name) {
    List<Double> v = get(name);
    return v.isEmpty() ? Double.NaN : v.get(v.size() - 1);
  }

  @Override
  public String toString() {
    return "History" + history;
  }
}
